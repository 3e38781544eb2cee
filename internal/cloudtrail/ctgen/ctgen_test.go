package ctgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/source"
)

func generateMap(t *testing.T, cfg Config) (map[string][]byte, *Manifest) {
	t.Helper()
	var mu sync.Mutex
	files := map[string][]byte{}
	m, err := Generate(context.Background(), cfg, func(key string, gz []byte) error {
		mu.Lock()
		defer mu.Unlock()
		files[key] = gz
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, m
}

func digest(files map[string][]byte) string {
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		_, _ = fmt.Fprintf(h, "%s\x00%x\x00", k, sha256.Sum256(files[k]))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestSameSeedSameBytes(t *testing.T) {
	cfg := Config{Events: 3000, Seed: 42}
	a, ma := generateMap(t, cfg)
	b, mb := generateMap(t, cfg)
	if digest(a) != digest(b) || ma.GzipBytes != mb.GzipBytes {
		t.Fatal("same seed produced different output")
	}
	c, _ := generateMap(t, Config{Events: 3000, Seed: 43})
	if digest(a) == digest(c) {
		t.Fatal("different seeds produced the same output")
	}
}

// TestCorpusReadsBackWithPlantedEvents reads a generated corpus through the
// real source and checks layout, counts and every planted event's shape.
func TestCorpusReadsBackWithPlantedEvents(t *testing.T) {
	dir := t.TempDir()
	m, err := WriteDir(context.Background(), dir, Config{Events: 5000, Seed: 7, PlantEach: 2})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*cloudtrail.Record{}
	var mu sync.Mutex
	perFile := map[string]int{}
	stats, err := source.Read(context.Background(), []source.Source{source.FileSource{Path: filepath.Join(dir, "AWSLogs")}}, source.ReadOptions{Workers: 2},
		func(_ int, it source.Item) error {
			rec, err := cloudtrail.Decode(it.Raw)
			if err != nil {
				return it.Errorf("%v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if _, dup := byID[rec.EventID()]; dup {
				t.Errorf("duplicate eventID %s", rec.EventID())
			}
			byID[rec.EventID()] = rec
			perFile[it.Object]++
			rel, _ := filepath.Rel(dir, it.Object)
			parts := strings.Split(filepath.ToSlash(rel), "/")
			// AWSLogs/o-id/acct/CloudTrail/region/Y/M/D/file
			if len(parts) != 9 || parts[3] != "CloudTrail" || parts[2] != rec.RecipientAccountID() || parts[4] != rec.AWSRegion() && rec.EventSource() != "iam.amazonaws.com" {
				t.Errorf("record %s in unexpected place %s", rec.EventID(), rel)
			}
			return nil
		})
	if err != nil || stats.Partial() {
		t.Fatalf("read: %v %v", err, stats.Errors)
	}
	if stats.Events != int64(m.Events) || len(byID) != m.Events || stats.Files != m.Files {
		t.Fatalf("read %d events in %d files, manifest says %d in %d", stats.Events, stats.Files, m.Events, m.Files)
	}
	for f, n := range perFile {
		if n < 1 || n > 200 {
			t.Errorf("%s holds %d records", f, n)
		}
	}
	if kms := m.Services["kms.amazonaws.com"]; kms < m.Events*5/100 || kms > m.Events*10/100 {
		t.Errorf("kms share %d of %d, want 5-10%%", kms, m.Events)
	}
	checks := map[string]func(r *cloudtrail.Record) bool{
		PlantDisableKey: func(r *cloudtrail.Record) bool { return r.EventName() == "DisableKey" && r.Outcome() == "success" },
		PlantScheduleKeyDeletion7: func(r *cloudtrail.Record) bool {
			n, _ := r.Int("requestParameters.pendingWindowInDays")
			d, ok := r.DeletionDate()
			return r.EventName() == "ScheduleKeyDeletion" && n == 7 && ok && d.Sub(r.EventTime()).Hours() > 7*24 && r.Outcome() == "success"
		},
		PlantScheduleKeyDeletion30: func(r *cloudtrail.Record) bool {
			n, _ := r.Int("requestParameters.pendingWindowInDays")
			return r.EventName() == "ScheduleKeyDeletion" && n == 30 && r.Outcome() == "success"
		},
		PlantPutKeyPolicyPublic: func(r *cloudtrail.Record) bool {
			doc, err := r.JSONString("requestParameters.policy")
			return r.EventName() == "PutKeyPolicy" && err == nil && strings.Contains(fmt.Sprint(doc), "AWS:*")
		},
		PlantCreateGrantCrossAccount: func(r *cloudtrail.Record) bool {
			return r.EventName() == "CreateGrant" && !strings.Contains(r.String("requestParameters.granteePrincipal"), ":"+r.RecipientAccountID()+":")
		},
		PlantScheduleKeyDeletionDeny: func(r *cloudtrail.Record) bool {
			return r.EventName() == "ScheduleKeyDeletion" && r.ErrorCode() == "AccessDenied" && r.Outcome() == "failure"
		},
		PlantDeleteImportedKeyMat: func(r *cloudtrail.Record) bool { return r.EventName() == "DeleteImportedKeyMaterial" },
		PlantEventSelectorsExcludeKMS: func(r *cloudtrail.Record) bool {
			return r.EventName() == "PutEventSelectors" && strings.Contains(fmt.Sprint(r.Fields["requestParameters"]), "kms.amazonaws.com")
		},
		PlantStopLogging: func(r *cloudtrail.Record) bool { return r.EventName() == "StopLogging" },
		PlantS3CopyForeignKMSKey: func(r *cloudtrail.Record) bool {
			k := r.String("requestParameters.x-amz-server-side-encryption-aws-kms-key-id")
			return r.EventName() == "CopyObject" && k != "" && !strings.Contains(k, ":"+r.RecipientAccountID()+":")
		},
		PlantDeleteKeyServiceEvent: func(r *cloudtrail.Record) bool {
			return r.EventName() == "DeleteKey" && r.EventType() == "AwsServiceEvent" && r.Actor().Type == "" && len(r.KeyARNs()) == 1
		},
	}
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			ids := m.Planted[kind]
			if len(ids) != 2 {
				t.Fatalf("%d planted, want 2", len(ids))
			}
			for _, id := range ids {
				r, ok := byID[id]
				if !ok {
					t.Fatalf("planted %s not in the corpus", id)
				}
				if !checks[kind](r) {
					t.Errorf("planted %s does not have the %s shape: %v", id, kind, r.Fields)
				}
			}
		})
	}
	// Background events must not look like planted destructive ones.
	for id, r := range byID {
		switch r.EventName() {
		case "DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "CreateGrant", "DeleteImportedKeyMaterial", "StopLogging", "PutEventSelectors", "CopyObject", "DeleteKey":
			if !slices.ContainsFunc(Kinds(), func(k string) bool { return slices.Contains(m.Planted[k], id) }) {
				t.Errorf("background event %s is a %s", id, r.EventName())
			}
		}
	}
}

func TestGzipHeaderHasNoTimestamp(t *testing.T) {
	files, _ := generateMap(t, Config{Events: 200, Seed: 1, PlantEach: 1})
	for k, z := range files {
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		if (!zr.ModTime.IsZero() && zr.ModTime.Unix() != 0) || zr.Name != "" {
			t.Errorf("%s: gzip header carries %v %q", k, zr.ModTime, zr.Name)
		}
	}
}

func TestTooFewEvents(t *testing.T) {
	_, err := Generate(context.Background(), Config{Events: 5}, func(string, []byte) error { return nil })
	if err == nil {
		t.Fatal("want an error when the corpus cannot hold the planted events")
	}
}
