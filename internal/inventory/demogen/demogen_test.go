package demogen

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// TestDemoPolicyDocumentsAreJSON: every key policy, SCP content and IAM
// document in the demo is a JSON object with a Version and Statements, so the
// policy engine's findings on the demo depend on the documents' meaning only.
func TestDemoPolicyDocumentsAreJSON(t *testing.T) {
	checkDoc := func(where string, doc any) {
		var m map[string]any
		switch d := doc.(type) {
		case string:
			if err := json.Unmarshal([]byte(d), &m); err != nil {
				t.Errorf("%s: policy text is not JSON: %v", where, err)
				return
			}
		case map[string]any:
			m = d
		default:
			t.Errorf("%s: document is %T", where, doc)
			return
		}
		if m["Version"] != "2012-10-17" || m["Statement"] == nil {
			t.Errorf("%s: document without Version 2012-10-17 or Statement", where)
		}
	}
	docs := 0
	for name, data := range Demo() {
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch {
		case strings.HasSuffix(name, "/key-policy.json"):
			checkDoc(name, v["Policy"])
			docs++
		case strings.HasPrefix(name, "organizations/policies/"):
			checkDoc(name, v["Policy"].(map[string]any)["Content"])
			docs++
		case name == "iam/account-authorization-details.json":
			for _, list := range []string{"UserDetailList", "GroupDetailList", "RoleDetailList"} {
				for _, p := range v[list].([]any) {
					for _, field := range []string{"UserPolicyList", "GroupPolicyList", "RolePolicyList"} {
						inl, _ := p.(map[string]any)[field].([]any)
						for _, ip := range inl {
							checkDoc(name+" "+field, ip.(map[string]any)["PolicyDocument"])
							docs++
						}
					}
				}
			}
			for _, p := range v["Policies"].([]any) {
				for _, ver := range p.(map[string]any)["PolicyVersionList"].([]any) {
					checkDoc(name+" version", ver.(map[string]any)["Document"])
					docs++
				}
			}
		}
	}
	if docs < 50 {
		t.Errorf("checked only %d documents", docs)
	}
}
