package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kmsguard/kmsguard/internal/ocsfschema"
)

// TestScanDemoOCSFValidates validates every event of the demo scan's OCSF
// report against the OCSF schema in ../shared: each must be a valid
// Compliance Finding (class 2003).
func TestScanDemoOCSFValidates(t *testing.T) {
	dir, err := ocsfschema.Locate()
	if err != nil {
		t.Fatalf("locate the shared OCSF schema (set KMSGUARD_SHARED): %v", err)
	}
	schema, err := ocsfschema.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join("testdata", "scan", "ocsf.golden"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		n++
		for _, e := range schema.ValidateJSON(sc.Bytes()).Errors {
			t.Errorf("event %d: %s", n, e)
		}
		var head struct {
			ClassUID int `json:"class_uid"`
		}
		if err := json.Unmarshal(sc.Bytes(), &head); err != nil || head.ClassUID != 2003 {
			t.Errorf("event %d: class_uid %d (%v)", n, head.ClassUID, err)
		}
	}
	if n < 300 {
		t.Errorf("only %d OCSF events for the demo", n)
	}
}

// TestScanDemoASFF checks the Security Hub fields the issue names on the
// demo scan: SecurityControlId for the controls that map to Security Hub,
// and the resource ARN.
func TestScanDemoASFF(t *testing.T) {
	out, err := os.ReadFile(filepath.Join("testdata", "scan", "asff.golden"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var req struct {
			Findings []struct {
				Compliance struct {
					SecurityControlId string
					Status            string
				}
				Resources     []struct{ Id string }
				ProductFields map[string]string
			}
		}
		if err := json.Unmarshal(line, &req); err != nil {
			t.Fatal(err)
		}
		for _, f := range req.Findings {
			seen[f.Compliance.SecurityControlId] = true
			if len(f.Resources) != 1 || f.Resources[0].Id == "" {
				t.Errorf("finding without a resource: %+v", f)
			}
		}
	}
	for _, id := range []string{"KMS.1", "KMS.2", "KMS.3", "KMS.4", "KMS.5"} {
		if !seen[id] {
			t.Errorf("no ASFF finding with Compliance.SecurityControlId %s", id)
		}
	}
}
