package source

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileSource is a file, or a directory walked recursively in lexical order
// (the S3 delivery layout sorts by account, region and date that way).
// A file named explicitly is always read; in a directory only JSON and
// gzip files are, other files are skipped and counted.
type FileSource struct {
	Path string
}

func (s FileSource) String() string { return s.Path }

// List implements Source.
func (s FileSource) List(ctx context.Context, fn func(Object) error) error {
	info, err := os.Stat(s.Path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fn(fileObject(s.Path, info.Size()))
	}
	return filepath.WalkDir(s.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		size := int64(-1)
		if info, err := d.Info(); err == nil {
			size = info.Size()
		}
		obj := fileObject(p, size)
		if KindOf(p) == KindOther {
			obj.Open = nil // listed only to be counted as skipped
		}
		return fn(obj)
	})
}

func fileObject(p string, size int64) Object {
	return Object{Name: p, Size: size, Open: func(context.Context) (io.ReadCloser, error) {
		return os.Open(p)
	}}
}
