package live

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"testing/fstest"
)

// Sink receives the snapshot files of a collection. Names are slash
// separated and relative to the snapshot root. WriteFile must be safe for
// concurrent use.
type Sink interface {
	WriteFile(name string, data []byte) error
}

// DirSink writes a snapshot into a directory. Each file is written to a
// temporary file next to it and renamed into place, so a reader never sees
// a half-written file. A snapshot describes who can use which key, so
// files are readable by their owner only (0600, directories 0700).
type DirSink struct {
	Root string
}

// WriteFile implements Sink.
func (d DirSink) WriteFile(name string, data []byte) error {
	if !fs.ValidPath(name) {
		return fmt.Errorf("snapshot file name %q is not a valid relative path", name)
	}
	target := filepath.Join(d.Root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// MemSink keeps a snapshot in memory. It is also an fs.FS, so a scan can
// collect into memory and hand the result straight to the snapshot loader.
type MemSink struct {
	mu    sync.Mutex
	files map[string][]byte
}

// NewMemSink returns an empty in-memory snapshot.
func NewMemSink() *MemSink { return &MemSink{files: map[string][]byte{}} }

// WriteFile implements Sink.
func (m *MemSink) WriteFile(name string, data []byte) error {
	if !fs.ValidPath(name) {
		return fmt.Errorf("snapshot file name %q is not a valid relative path", name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[path.Clean(name)] = append([]byte(nil), data...)
	return nil
}

// Open implements fs.FS over the files written so far.
func (m *MemSink) Open(name string) (fs.File, error) {
	m.mu.Lock()
	snapshot := make(fstest.MapFS, len(m.files))
	for n, data := range m.files {
		snapshot[n] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	m.mu.Unlock()
	return snapshot.Open(name)
}

// Names lists the files written so far, sorted.
func (m *MemSink) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.files))
	for n := range m.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
