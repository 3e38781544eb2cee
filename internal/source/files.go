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
// A file named explicitly is always read; in a directory, files without a
// JSON or gzip extension are read only when their content starts like gzip
// or JSON (Firehose writes objects without extensions), else skipped and
// counted.
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
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil { // report, and go on with the rest of the tree
			if fnErr := fn(Object{Name: p, Err: err}); fnErr != nil {
				return fnErr
			}
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(p) // follow links to files; a loop or dangling link is an error
		}
		if err != nil {
			return fn(Object{Name: p, Err: err})
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		obj := fileObject(p, info.Size())
		if KindOf(p) == KindOther {
			obj.Sniff = true // e.g. Firehose output, which has no extension
		}
		return fn(obj)
	})
}

func fileObject(p string, size int64) Object {
	return Object{Name: p, Size: size, Open: func(context.Context) (io.ReadCloser, error) {
		return os.Open(p)
	}}
}
