package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// Item is one raw CloudTrail record and where it came from.
type Item struct {
	Raw    []byte // the record's JSON; valid only during the Handler call
	Object string // file path, s3://bucket/key or "-"
	Offset int64  // byte offset of the record (or its envelope) in the decompressed object
	Line   int    // 1-based line of the record in the decompressed object
}

// Location names where the item is, for messages: "path:line (offset N)".
func (it Item) Location() string {
	return fmt.Sprintf("%s:%d (offset %d)", it.Object, it.Line, it.Offset)
}

// Errorf returns an error for a bad record that a Handler returns to have
// it counted in Stats at the item's location, while reading goes on.
func (it Item) Errorf(format string, args ...any) error {
	return &RecordError{Item: Error{Object: it.Object, Offset: it.Offset, Line: it.Line, Msg: fmt.Sprintf(format, args...)}}
}

// RecordError reports one bad record; see Item.Errorf.
type RecordError struct{ Item Error }

func (e *RecordError) Error() string { return e.Item.String() }

// Handler receives each record. It is called from up to `workers`
// goroutines at once; worker (in [0, workers)) lets it keep per-worker
// state without locks. The records of one object arrive in order, on one
// worker. A *RecordError is counted and reading goes on; any other error
// stops the whole read and is returned by Read.
type Handler func(worker int, it Item) error

// ReadOptions tune Read.
type ReadOptions struct {
	// Workers is how many objects are read at once; GOMAXPROCS when <= 0.
	Workers int
	// Since and Until, when set, skip log files whose S3-layout date
	// folder (.../CloudTrail/<region>/Y/M/D/) cannot hold events in the
	// window, allowing a day for late delivery. Records are not filtered:
	// that is the caller's job, on eventTime.
	Since, Until time.Time
}

// Read reads every object of every source with up to opts.Workers
// goroutines, one object per worker at a time, each streamed through gzip
// (detected by its magic bytes) and the record scanner. Problems with the
// input are counted and described in Stats; the error is only for a
// Handler's error or a cancelled context.
func Read(ctx context.Context, sources []Source, opts ReadOptions, h Handler) (*Stats, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g, ctx := errgroup.WithContext(ctx)
	objects := make(chan Object, workers)
	listed := &Stats{}
	g.Go(func() error {
		defer close(objects)
		for _, src := range sources {
			err := src.List(ctx, func(o Object) error {
				if o.Err != nil {
					listed.addError(Error{Object: o.Name, Msg: o.Err.Error()})
					return nil //nolint:nilerr // reported in Stats; listing goes on
				}
				if !listed.countSkip(o) {
					return nil
				}
				if !inWindow(o.Name, opts.Since, opts.Until) {
					listed.SkippedOutOfWindow++
					return nil
				}
				select {
				case objects <- o:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				listed.addError(Error{Object: src.String(), Msg: "list: " + err.Error()})
			}
		}
		return nil
	})
	ws := make([]*worker, workers)
	for i := range ws {
		w := &worker{id: i, br: bufio.NewReaderSize(nil, 64<<10), rr: cloudtrail.NewRecordReader(nil),
			whole: newWholeInflater(), plain: bytes.NewReader(nil)}
		ws[i] = w
		g.Go(func() error {
			for o := range objects {
				if err := w.read(ctx, o, h); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err := g.Wait()
	for _, w := range ws {
		listed.merge(&w.stats)
		if w.whole != nil {
			w.whole.close()
		}
	}
	listed.finish()
	return listed, err
}

// inWindow reports whether a log file named by the delivery layout may
// hold events in [since, until]. Names outside the layout always may.
func inWindow(name string, since, until time.Time) bool {
	day, ok := DeliveryDay(name)
	if !ok {
		return true
	}
	const margin = 24 * time.Hour
	if !since.IsZero() && !day.Add(24*time.Hour).After(since) {
		return false // every event was delivered, so happened, before since
	}
	if !until.IsZero() && day.Add(-margin).After(until) {
		return false
	}
	return true
}

// DeliveryDay returns the date folder of a name in the S3 delivery layout
// (.../CloudTrail/<region>/YYYY/MM/DD/file), in UTC.
func DeliveryDay(name string) (time.Time, bool) {
	parts := strings.Split(strings.ReplaceAll(name, `\`, "/"), "/")
	for i := 0; i+5 < len(parts); i++ {
		if parts[i] != "CloudTrail" {
			continue
		}
		t, err := time.Parse("2006/01/02", strings.Join(parts[i+2:i+5], "/"))
		if err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// maxObjectErrors is how many bad values one object may have before the
// rest of it is skipped (a binary or unrelated file would otherwise report
// every line).
const maxObjectErrors = 100

// worker holds the buffers one goroutine reuses across objects.
type worker struct {
	id    int
	br    *bufio.Reader
	zr    *gzip.Reader
	rr    *cloudtrail.RecordReader
	stats Stats
	// The native build's whole-object path (nil whole in the default
	// build): the compressed object, its inflated content, a reader on it.
	whole   wholeInflater
	gz, out []byte
	plain   *bytes.Reader
}

func (w *worker) read(ctx context.Context, o Object, h Handler) error {
	rc, err := o.Open(ctx)
	if err != nil {
		w.stats.addError(Error{Object: o.Name, Msg: "open: " + err.Error()})
		return nil
	}
	defer func() { _ = rc.Close() }() // read-only: a close error changes nothing
	counted := &countingReader{r: rc}
	w.br.Reset(counted)
	var r io.Reader = w.br
	head, _ := w.br.Peek(512)
	isGzip := len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b
	if o.Sniff && !isGzip && !looksJSON(head) {
		w.stats.SkippedOther++
		return nil
	}
	if isGzip && w.whole != nil && o.Size >= 0 && o.Size <= maxWholeCompressed {
		// Native build: inflate the whole object in one call. On any
		// failure the bytes go through the streaming reader below, which
		// delivers the records before the damage and says where it is.
		if w.gz, err = appendAll(w.gz[:0], w.br); err != nil {
			w.stats.addError(Error{Object: o.Name, Msg: "read: " + err.Error()})
			return nil
		}
		if out, err := w.whole.inflate(w.out[:0], w.gz, maxWholeOutput); err == nil {
			w.out = out
			w.stats.Files++
			w.rr.ResetBytes(out)
			err := w.scan(ctx, o, h)
			w.stats.Bytes += counted.n
			w.trim()
			return err
		}
		w.plain.Reset(w.gz)
		w.br.Reset(w.plain)
	}
	if isGzip {
		if w.zr == nil {
			w.zr, err = gzip.NewReader(w.br)
		} else {
			err = w.zr.Reset(w.br)
		}
		if err != nil {
			w.stats.addError(Error{Object: o.Name, Msg: "gzip header: " + err.Error()})
			return nil
		}
		r = w.zr
	}
	w.stats.Files++
	w.rr.Reset(r)
	err = w.scan(ctx, o, h)
	w.stats.Bytes += counted.n
	w.trim()
	return err
}

// scan hands every record of one object's content, which w.rr has just
// been reset to, to h.
func (w *worker) scan(ctx context.Context, o Object, h Handler) error {
	bad := 0
	for {
		raw, err := w.rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *cloudtrail.SyntaxError
			if !errors.As(err, &se) {
				return err
			}
			w.stats.addError(Error{Object: o.Name, Offset: se.Offset, Line: se.Line, Msg: se.Msg})
			if bad++; bad == maxObjectErrors && !se.Fatal {
				w.stats.addError(Error{Object: o.Name, Offset: se.Offset, Line: se.Line,
					Msg: fmt.Sprintf("%d errors: not CloudTrail JSON, rest of the object skipped", bad)})
				break
			}
			if se.Fatal {
				break
			}
			continue
		}
		w.stats.Events++
		if err := h(w.id, Item{Raw: raw, Object: o.Name, Offset: w.rr.Offset(), Line: w.rr.Line()}); err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				return err
			}
			w.stats.addError(re.Item)
		}
		if w.stats.Events%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	w.stats.SkippedEvents += int64(w.rr.Skipped())
	return ctx.Err()
}

// trim drops whole-object buffers that an unusually large object grew, so
// that memory stays bounded by typical objects, not the largest one met.
func (w *worker) trim() {
	const keep = 8 << 20
	if cap(w.gz) > keep {
		w.gz = nil
	}
	if cap(w.out) > 4*keep {
		w.out = nil
	}
}

// appendAll reads r to the end, appending to dst.
func appendAll(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// looksJSON reports whether head starts (after white space and a UTF-8
// byte order mark) with an object or array.
func looksJSON(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	head = bytes.TrimLeft(head, " \t\r\n")
	return len(head) > 0 && (head[0] == '{' || head[0] == '[')
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
