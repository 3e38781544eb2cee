package report

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	errBoom := errors.New("boom")
	t.Run("failure keeps the old file and leaves no temp file", func(t *testing.T) {
		err := WriteOutput(path, nil, func(w io.Writer) error {
			_, _ = io.WriteString(w, "half a rep")
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("got %v, want the writer's error", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "previous" {
			t.Errorf("file = %q, want it untouched", b)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("temporary file left behind: %v", entries)
		}
	})
	t.Run("success replaces the file", func(t *testing.T) {
		if err := WriteOutput(path, nil, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != "new" {
			t.Errorf("file = %q, want new", b)
		}
	})
	t.Run("dash is stdout", func(t *testing.T) {
		var out bytes.Buffer
		if err := WriteOutput("-", &out, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
			t.Fatal(err)
		}
		if out.String() != "x" {
			t.Errorf("stdout = %q", out.String())
		}
	})
	t.Run("missing directory is an error", func(t *testing.T) {
		err := WriteOutput(filepath.Join(dir, "no", "such", "r.json"), nil, func(io.Writer) error { return nil })
		if err == nil {
			t.Error("want an error")
		}
	})
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}

// A FIFO stands for /dev/null and pipes: WriteOutput must write into it, not
// rename a temp file over it (which once turned /dev/null into a file).
func TestWriteOutputKeepsSpecialFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := WriteOutput(fifo, io.Discard, func(w io.Writer) error {
		_, err := io.WriteString(w, "report")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "report" {
		t.Errorf("reader got %q, want %q", s, "report")
	}
	st, err := os.Lstat(fifo)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: mode %v, err %v", st.Mode(), err)
	}
}
