package demogen

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite examples/demo-snapshot from the generator")

// repoRoot walks up from the test's directory to the module root.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// TestDemoSnapshotUpToDate fails when examples/demo-snapshot differs from
// what Demo generates; run `go test ./internal/inventory/demogen -update`.
func TestDemoSnapshotUpToDate(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "examples", "demo-snapshot")
	want := Demo()
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := want.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, ok := want[rel]
		switch {
		case !ok:
			t.Errorf("%s is committed but not generated (run with -update)", rel)
		case !bytes.Equal(got, w):
			t.Errorf("%s differs from the generator (run with -update)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range want.Names() {
		if !seen[name] {
			t.Errorf("%s is generated but not committed (run with -update)", name)
		}
	}
}

func TestDemoIsDeterministic(t *testing.T) {
	a, b := Demo(), Demo()
	if len(a) != len(b) {
		t.Fatalf("file counts differ: %d vs %d", len(a), len(b))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}
