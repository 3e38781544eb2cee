// Package follow reads a local directory as new CloudTrail files arrive
// (for example files a sync job copies from the trail bucket). It polls:
// a file is read once its size has stayed the same for one poll interval
// (so a file still being written is not read half-way), and is then
// checkpointed in the state store, so a restart does not read it again.
package follow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/source"
)

// Checkpoints is the part of state.Store the follower uses.
type Checkpoints interface {
	GetCheckpoint(ctx context.Context, source string) (string, bool, error)
	SetCheckpoint(ctx context.Context, source, position string) error
}

// RecordHandler handles one record; it must return only once the
// record's effects are durable. An error leaves the file unread: it is
// read again (wholly) at the next poll.
type RecordHandler func(ctx context.Context, rec *cloudtrail.Record, receivedAt time.Time) error

// Options configure a Follower.
type Options struct {
	Dir      string
	Interval time.Duration // between polls; default 5s
	Logger   *slog.Logger
}

// Follower follows one directory tree.
type Follower struct {
	cp     Checkpoints
	opts   Options
	handle RecordHandler
	log    *slog.Logger
	// done holds the size each file had when it was read; seen the size
	// met at the previous poll of files not read yet.
	done, seen map[string]int64
}

// New returns a follower of opts.Dir.
func New(cp Checkpoints, opts Options, h RecordHandler) (*Follower, error) {
	if cp == nil || h == nil || opts.Dir == "" {
		return nil, errors.New("follow: checkpoints, handler and directory are required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("follow %s: %w", opts.Dir, err)
	}
	opts.Dir = dir
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Follower{cp: cp, opts: opts, handle: h, log: opts.Logger, done: map[string]int64{}, seen: map[string]int64{}}, nil
}

// checkpointKey names a file's checkpoint in the state store.
func checkpointKey(path string) string { return "follow:" + path }

// Run polls until ctx ends. The file being read when ctx ends is finished.
func (f *Follower) Run(ctx context.Context) error {
	t := time.NewTicker(f.opts.Interval)
	defer t.Stop()
	for {
		if _, err := f.Poll(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("follow poll", "dir", f.opts.Dir, "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll makes one pass over the directory and reads every file that is
// new, stable since the previous pass and not checkpointed. It returns how
// many files it read, and an error naming each file left for the next
// poll because it could not be read or handled.
func (f *Follower) Poll(ctx context.Context) (int, error) {
	var ready []source.Object
	err := source.FileSource{Path: f.opts.Dir}.List(ctx, func(o source.Object) error {
		if o.Err != nil {
			f.log.Warn("follow: unreadable entry", "path", o.Name, "error", o.Err)
			return nil //nolint:nilerr // reported; the rest of the tree is still followed
		}
		if size, ok := f.done[o.Name]; ok && size == o.Size {
			return nil
		}
		if _, ok := f.done[o.Name]; !ok {
			pos, found, err := f.cp.GetCheckpoint(ctx, checkpointKey(o.Name))
			if err != nil {
				return err
			}
			if n, perr := strconv.ParseInt(pos, 10, 64); found && perr == nil && n == o.Size {
				f.done[o.Name] = n
				return nil
			}
		}
		if prev, ok := f.seen[o.Name]; !ok || prev != o.Size {
			f.seen[o.Name] = o.Size // wait one interval for the writer to finish
			return nil
		}
		ready = append(ready, o)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("follow %s: %w", f.opts.Dir, err)
	}
	n := 0
	var errs []error
	for _, o := range ready {
		// The file being read is finished even if ctx ends meanwhile.
		if err := f.readFile(context.WithoutCancel(ctx), o); err != nil {
			errs = append(errs, fmt.Errorf("%s (left for the next poll): %w", o.Name, err))
			continue
		}
		n++
		if ctx.Err() != nil {
			break
		}
	}
	return n, errors.Join(errs...)
}

func (f *Follower) readFile(ctx context.Context, o source.Object) error {
	receivedAt := time.Now()
	var openErr error
	open := o.Open
	o.Open = func(ctx context.Context) (io.ReadCloser, error) {
		rc, err := open(ctx)
		openErr = err
		return rc, err
	}
	st, err := source.Read(ctx, []source.Source{single{o}}, source.ReadOptions{Workers: 1}, func(_ int, it source.Item) error {
		rec, err := cloudtrail.Decode(it.Raw)
		if err != nil {
			return it.Errorf("decode: %v", err)
		}
		return f.handle(ctx, rec, receivedAt)
	})
	if err = errors.Join(err, openErr); err != nil {
		return err
	}
	for _, e := range st.Errors {
		f.log.Warn("follow: bad input", "error", e.String())
	}
	if err := f.cp.SetCheckpoint(ctx, checkpointKey(o.Name), strconv.FormatInt(o.Size, 10)); err != nil {
		return err
	}
	f.done[o.Name] = o.Size
	delete(f.seen, o.Name)
	return nil
}

type single struct{ o source.Object }

func (s single) String() string { return s.o.Name }

func (s single) List(_ context.Context, fn func(source.Object) error) error { return fn(s.o) }
