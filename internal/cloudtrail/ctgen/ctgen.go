// Package ctgen generates deterministic, realistic CloudTrail corpora: gzipped
// log files in the S3 delivery layout, with a mix of services and callers
// like a real organisation trail, and a known set of planted events that
// the built-in KMS rules must find. The same Config (seed included) always
// produces byte-identical files, so tests and benchmarks can check recall.
//
// Command: go run ./internal/cloudtrail/ctgen/cmd -out DIR -events N -seed S
package ctgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
)

// Planted event kinds, the keys of Manifest.Planted.
const (
	PlantDisableKey               = "disable_key"
	PlantScheduleKeyDeletion7     = "schedule_key_deletion_7_days"
	PlantScheduleKeyDeletion30    = "schedule_key_deletion_30_days"
	PlantPutKeyPolicyPublic       = "put_key_policy_public"
	PlantCreateGrantCrossAccount  = "create_grant_cross_account"
	PlantScheduleKeyDeletionDeny  = "schedule_key_deletion_access_denied"
	PlantDeleteImportedKeyMat     = "delete_imported_key_material"
	PlantEventSelectorsExcludeKMS = "put_event_selectors_exclude_kms"
	PlantStopLogging              = "stop_logging"
	PlantS3CopyForeignKMSKey      = "s3_copy_object_foreign_kms_key"
	PlantDeleteKeyServiceEvent    = "delete_key_service_event"
)

// Kinds lists the planted kinds in a fixed order.
func Kinds() []string {
	return []string{PlantDisableKey, PlantScheduleKeyDeletion7, PlantScheduleKeyDeletion30, PlantPutKeyPolicyPublic,
		PlantCreateGrantCrossAccount, PlantScheduleKeyDeletionDeny, PlantDeleteImportedKeyMat,
		PlantEventSelectorsExcludeKMS, PlantStopLogging, PlantS3CopyForeignKMSKey, PlantDeleteKeyServiceEvent}
}

// Config says what to generate. Zero fields take the defaults noted.
type Config struct {
	Events    int       // total records, planted ones included (default 10000)
	Seed      uint64    // random seed
	Start     time.Time // first event time (default 2026-03-01T00:00:00Z)
	Days      int       // days the events span (default 3)
	PerFile   int       // mean records per log file (default 100)
	PlantEach int       // planted events per kind (default 3)
}

func (c Config) withDefaults() Config {
	if c.Events <= 0 {
		c.Events = 10000
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Days <= 0 {
		c.Days = 3
	}
	if c.PerFile <= 0 {
		c.PerFile = 100
	}
	if c.PlantEach <= 0 {
		c.PlantEach = 3
	}
	return c
}

// Manifest describes a generated corpus. JSON field names are a contract
// for tests and benchmarks.
type Manifest struct {
	Seed      uint64              `json:"seed"`
	Events    int                 `json:"events"`
	Files     int                 `json:"files"`
	JSONBytes int64               `json:"json_bytes"` // uncompressed
	GzipBytes int64               `json:"gzip_bytes"`
	Accounts  []string            `json:"accounts"`
	Regions   []string            `json:"regions"`
	Services  map[string]int      `json:"events_per_service"`
	Planted   map[string][]string `json:"planted"` // kind -> eventIDs
}

// ManifestName is the manifest's file name in the output directory, next
// to (not inside) AWSLogs/.
const ManifestName = "ctgen-manifest.json"

// WriteDir generates a corpus under dir/AWSLogs/... and writes the
// manifest to dir/ctgen-manifest.json.
func WriteDir(ctx context.Context, dir string, cfg Config) (*Manifest, error) {
	m, err := Generate(ctx, cfg, func(key string, data []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	})
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return m, os.WriteFile(filepath.Join(dir, ManifestName), append(data, '\n'), 0o644)
}

// Generate produces the corpus and hands each gzipped log file to write,
// with its S3 key. write may be called from several goroutines at once.
func Generate(ctx context.Context, cfg Config, write func(key string, gz []byte) error) (*Manifest, error) {
	cfg = cfg.withDefaults()
	kinds := Kinds()
	if cfg.Events < cfg.PlantEach*len(kinds) {
		return nil, fmt.Errorf("ctgen: %d events cannot hold %d planted ones", cfg.Events, cfg.PlantEach*len(kinds))
	}
	g := newGenerator(cfg)
	m := &Manifest{Seed: cfg.Seed, Events: cfg.Events, Services: map[string]int{}, Planted: map[string][]string{}}
	for _, a := range g.accounts {
		m.Accounts = append(m.Accounts, a.id)
	}
	m.Regions = slices.Clone(g.regions)

	plants := g.plantPositions(kinds)
	streams := make([]*stream, len(g.accounts)*len(g.regions))
	for i := range streams {
		streams[i] = &stream{acct: g.accounts[i/len(g.regions)], region: g.regions[i%len(g.regions)]}
		streams[i].target = g.fileSize()
	}

	eg, egctx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0) + 1)
	var mu sync.Mutex
	flush := func(s *stream, last time.Time) {
		key := g.fileKey(s, last)
		data := s.finish()
		m.Files++
		m.JSONBytes += int64(len(data))
		eg.Go(func() error {
			z, err := compress(data)
			if err != nil {
				return err
			}
			mu.Lock()
			m.GzipBytes += int64(len(z))
			mu.Unlock()
			return write(key, z)
		})
		s.target = g.fileSize()
	}

	span := time.Duration(cfg.Days) * 24 * time.Hour
	enc := newEncoder()
	for i := range cfg.Events {
		if i%1024 == 0 && egctx.Err() != nil {
			break
		}
		t := cfg.Start.Add(span * time.Duration(i) / time.Duration(cfg.Events)).Add(time.Duration(g.rng.IntN(2000)) * time.Millisecond)
		s := streams[g.pickStream(len(streams))]
		r := g.base(s.acct, s.region, t)
		if kind, ok := plants[i]; ok {
			g.plant(kind, r, s.acct)
			m.Planted[kind] = append(m.Planted[kind], r.EventID)
		} else {
			g.background(r, s.acct)
		}
		m.Services[r.EventSource]++
		raw, err := enc.encode(r)
		if err != nil {
			return nil, err
		}
		s.add(raw)
		s.last = t
		if s.n >= s.target {
			flush(s, t)
		}
	}
	for _, s := range streams {
		if s.n > 0 {
			flush(s, s.last)
		}
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return m, ctx.Err()
}

// stream accumulates the records of one account and region into a log file.
type stream struct {
	acct   *account
	region string
	buf    bytes.Buffer
	n      int
	target int
	last   time.Time
}

func (s *stream) add(raw []byte) {
	if s.n == 0 {
		s.buf.WriteString(`{"Records":[`)
	} else {
		s.buf.WriteByte(',')
	}
	s.buf.Write(raw)
	s.n++
}

func (s *stream) finish() []byte {
	s.buf.WriteString("]}")
	data := bytes.Clone(s.buf.Bytes())
	s.buf.Reset()
	s.n = 0
	return data
}

func compress(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.ModTime = time.Unix(0, 0) // no time in the header: byte-identical output
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encoder marshals records the way CloudTrail writes them: compact, with
// no HTML escaping.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

func (e *encoder) encode(v any) ([]byte, error) {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), nil
}

func (g *generator) fileKey(s *stream, t time.Time) string {
	return fmt.Sprintf("AWSLogs/%s/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		s.acct.org, s.acct.id, s.region, t.Format("2006/01/02"), s.acct.id, s.region, t.Format("20060102T1504Z"), g.token(16))
}

func (g *generator) plantPositions(kinds []string) map[int]string {
	plants := map[int]string{}
	for _, kind := range kinds {
		for range g.cfg.PlantEach {
			for {
				i := g.rng.IntN(g.cfg.Events)
				if _, taken := plants[i]; !taken {
					plants[i] = kind
					break
				}
			}
		}
	}
	return plants
}

func (g *generator) fileSize() int {
	n := g.cfg.PerFile
	return max(1, n*6/10+g.rng.IntN(n*8/10+1))
}

func (g *generator) pickStream(n int) int {
	// Accounts and regions are not equally busy: weight the first ones.
	a := g.rng.IntN(n)
	b := g.rng.IntN(n)
	return min(a, b)
}
