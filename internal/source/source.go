// Package source finds CloudTrail input and reads it: files and directories
// in the S3 delivery layout, s3://bucket/prefix through the AWS SDK, and
// stdin. Each input argument becomes a Source that lists Objects (a file,
// an S3 object, stdin); Read decompresses and scans the objects in parallel
// and hands every raw record, with where it came from, to a callback.
//
// Digest files (CloudTrail-Digest/) and Insight files (CloudTrail-Insight/)
// are recognised by name and skipped, and counted; bad input (corrupt gzip,
// truncated files, lines that are not JSON) is reported in Stats with the
// object and offset or line, and the rest of the input is still read.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Source is one input argument: it lists the objects to read.
type Source interface {
	// List calls fn for each object, in a deterministic order. It stops at
	// the first error fn returns and returns it.
	List(ctx context.Context, fn func(Object) error) error
	// String names the source in messages.
	String() string
}

// Object is one readable unit of input.
type Object struct {
	Name string // file path, s3://bucket/key, or "-" for stdin
	Size int64  // bytes, or -1 when unknown
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Sniff says the name does not look like CloudTrail output: read the
	// object only if its content starts like gzip or JSON, else skip it
	// (counted in Stats.SkippedOther).
	Sniff bool
	// Err is a problem met while listing this object (an unreadable
	// directory, a dangling link); Read reports it and goes on.
	Err error
}

// Kind says what an object holds, judged by its name.
type Kind int

const (
	KindLog     Kind = iota // CloudTrail records (any shape)
	KindDigest              // CloudTrail-Digest/: integrity digests, not events
	KindInsight             // CloudTrail-Insight/: Insights events, not API records
	KindOther               // no JSON or gzip extension: read only if the content looks like it
)

// KindOf classifies an object name (a path or an S3 key) by CloudTrail's
// delivery layout: AWSLogs/[o-id/]<account>/CloudTrail[-Digest|-Insight]/<region>/Y/M/D/<file>.
func KindOf(name string) Kind {
	name = strings.ReplaceAll(name, `\`, "/")
	base := path.Base(name)
	switch {
	case strings.Contains(name, "/CloudTrail-Digest/") || strings.Contains(base, "_CloudTrail-Digest_"):
		return KindDigest
	case strings.Contains(name, "/CloudTrail-Insight/") || strings.Contains(base, "_CloudTrail-Insight_"):
		return KindInsight
	}
	for _, ext := range []string{".json.gz", ".json", ".jsonl", ".ndjson", ".gz", ".jsonl.gz", ".ndjson.gz"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			return KindLog
		}
	}
	return KindOther
}

// Options configure how input arguments become sources.
type Options struct {
	Stdin io.Reader // read for "-"
	S3    S3API     // used for s3:// arguments
}

// Open returns the Source for one input argument: "-" (stdin),
// "s3://bucket[/prefix]", or a file or directory path.
func Open(arg string, opts Options) (Source, error) {
	switch {
	case arg == "-":
		if opts.Stdin == nil {
			return nil, fmt.Errorf("stdin: no input stream")
		}
		return stdinSource{r: opts.Stdin}, nil
	case strings.HasPrefix(arg, "s3://"):
		bucket, prefix, _ := strings.Cut(strings.TrimPrefix(arg, "s3://"), "/")
		if bucket == "" {
			return nil, fmt.Errorf("%s: no bucket name", arg)
		}
		if opts.S3 == nil {
			return nil, fmt.Errorf("%s: no S3 client configured", arg)
		}
		return &S3Source{Client: opts.S3, Bucket: bucket, Prefix: prefix}, nil
	}
	return FileSource{Path: arg}, nil
}

// OpenAll opens every argument, in order; the error names every bad one.
func OpenAll(args []string, opts Options) ([]Source, error) {
	var srcs []Source
	var errs []error
	for _, arg := range args {
		src, err := Open(arg, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		srcs = append(srcs, src)
	}
	return srcs, errors.Join(errs...)
}

type stdinSource struct{ r io.Reader }

func (s stdinSource) String() string { return "-" }

func (s stdinSource) List(_ context.Context, fn func(Object) error) error {
	return fn(Object{Name: "-", Size: -1, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(s.r), nil
	}})
}
