package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/ocsfschema"
)

func loadOCSF(t *testing.T) *ocsfschema.Schema {
	t.Helper()
	dir, err := ocsfschema.Locate()
	if err != nil {
		t.Fatalf("locate the shared OCSF schema: %v", err)
	}
	s, err := ocsfschema.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Version()
	if err != nil {
		t.Fatal(err)
	}
	if v != OCSFVersion {
		t.Fatalf("OCSFVersion = %q but the shared schema is %q", OCSFVersion, v)
	}
	return s
}

// validateOCSFLines validates every line as an OCSF event of class want.
func validateOCSFLines(t *testing.T, schema *ocsfschema.Schema, out []byte, want int, lines int) {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		n++
		res := schema.ValidateJSON(sc.Bytes())
		for _, e := range res.Errors {
			t.Errorf("line %d: %s", n, e)
		}
		var head struct {
			ClassUID int `json:"class_uid"`
		}
		if err := json.Unmarshal(sc.Bytes(), &head); err != nil || head.ClassUID != want {
			t.Errorf("line %d: class_uid %d, want %d (%v)", n, head.ClassUID, want, err)
		}
	}
	if n != lines {
		t.Errorf("got %d OCSF events, want %d", n, lines)
	}
}

func TestOCSFComplianceFindingsValidate(t *testing.T) {
	schema := loadOCSF(t)
	s := testScan()
	validateOCSFLines(t, schema, render(t, "ocsf", Options{}, s), 2003, len(s.Findings))
}

type asffRequest struct {
	Findings []types.AwsSecurityFinding
}

func decodeASFF(t *testing.T, out []byte) []asffRequest {
	t.Helper()
	var reqs []asffRequest
	for i, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields() // every member must be an SDK field
		var r asffRequest
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %d does not decode into the SDK's BatchImportFindings shape: %v", i+1, err)
		}
		reqs = append(reqs, r)
	}
	return reqs
}

func TestASFF(t *testing.T) {
	s := testScan()
	reqs := decodeASFF(t, render(t, "asff", Options{}, s))
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2 (eu-west-1 and us-east-1)", len(reqs))
	}
	total := 0
	byResource := map[string]types.AwsSecurityFinding{}
	for i, r := range reqs {
		region := *r.Findings[0].Region
		for _, f := range r.Findings {
			total++
			for name, v := range map[string]*string{
				"SchemaVersion": f.SchemaVersion, "Id": f.Id, "ProductArn": f.ProductArn, "GeneratorId": f.GeneratorId,
				"AwsAccountId": f.AwsAccountId, "CreatedAt": f.CreatedAt, "UpdatedAt": f.UpdatedAt, "Title": f.Title, "Description": f.Description,
			} {
				if v == nil || *v == "" {
					t.Errorf("request %d: %s is missing", i, name)
				}
			}
			if f.Severity == nil || f.Severity.Label == "" || len(f.Types) == 0 || len(f.Resources) != 1 || f.Compliance == nil {
				t.Errorf("request %d: %s lacks Severity.Label, Types, one Resource or Compliance", i, *f.Id)
				continue
			}
			if *f.Region != region || !strings.HasPrefix(*f.ProductArn, "arn:aws:securityhub:"+region+":111122223333:product/111122223333/default") {
				t.Errorf("request %d mixes regions: %s in a %s batch (%s)", i, *f.Region, region, *f.ProductArn)
			}
			byResource[*f.GeneratorId+" "+*f.Resources[0].Id] = f
		}
	}
	if total != len(s.Findings) {
		t.Errorf("got %d ASFF findings, want one per finding (%d)", total, len(s.Findings))
	}
	tests := []struct {
		key                        string
		status                     types.ComplianceStatus
		workflow                   types.WorkflowStatus
		label                      types.SeverityLabel
		resType, controlID, record string
	}{
		{"kmsguard/KMS.3 " + keyDel, types.ComplianceStatusFailed, types.WorkflowStatusNew, types.SeverityLabelCritical, "AwsKmsKey", "KMS.3", "ACTIVE"},
		{"kmsguard/KMS.5 " + keyDeny, types.ComplianceStatusWarning, types.WorkflowStatusNew, types.SeverityLabelCritical, "AwsKmsKey", "KMS.5", "ACTIVE"},
		{"kmsguard/KMS.4 " + keyOK, types.ComplianceStatusPassed, types.WorkflowStatusResolved, types.SeverityLabelMedium, "AwsKmsKey", "KMS.4", "ACTIVE"},
		{"kmsguard/KMS.4 " + keyRSA, types.ComplianceStatusNotAvailable, types.WorkflowStatusNew, types.SeverityLabelMedium, "AwsKmsKey", "KMS.4", "ARCHIVED"},
		{"kmsguard/KMS.1 arn:aws:iam::111122223333:policy/DataPipelineDecrypt", types.ComplianceStatusFailed, types.WorkflowStatusNew, types.SeverityLabelMedium, "AwsIamPolicy", "KMS.1", "ACTIVE"},
		{"kmsguard/KMS.2 arn:aws:iam::111122223333:role/BreakGlassAdmin", types.ComplianceStatusFailed, types.WorkflowStatusSuppressed, types.SeverityLabelMedium, "AwsIamRole", "KMS.2", "ACTIVE"},
		{"kmsguard/KMS.2 arn:aws:iam::111122223333:user/ci-deploy", types.ComplianceStatusFailed, types.WorkflowStatusNew, types.SeverityLabelMedium, "AwsIamUser", "KMS.2", "ACTIVE"},
		{"kmsguard/KMSG.DELETION " + keyRot, types.ComplianceStatusFailed, types.WorkflowStatusNew, types.SeverityLabelLow, "AwsKmsKey", "", "ACTIVE"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			f, ok := byResource[tc.key]
			if !ok {
				t.Fatalf("no ASFF finding for %s", tc.key)
			}
			got := fmt.Sprintf("%s %s %s %s %s %s", f.Compliance.Status, f.Workflow.Status, f.Severity.Label, *f.Resources[0].Type, deref(f.Compliance.SecurityControlId), f.RecordState)
			want := fmt.Sprintf("%s %s %s %s %s %s", tc.status, tc.workflow, tc.label, tc.resType, tc.controlID, tc.record)
			if got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestASFFLimits: long text is cut to Security Hub's field limits.
func TestASFFLimits(t *testing.T) {
	c := testControls()
	long := strings.Repeat("é", 5000)
	f := finding(c["KMS.5"], controls.StatusFail, "AWS::KMS::Key", keyPub, "eu-west-1", long, long, long)
	f.Title = long
	f.Suppressed = &controls.Suppression{Reason: long}
	reqs := decodeASFF(t, render(t, "asff", Options{}, Scan{Findings: []controls.Finding{f}}))
	got := reqs[0].Findings[0]
	for name, tc := range map[string]struct {
		s   string
		max int
	}{
		"Title":       {*got.Title, 256},
		"Description": {*got.Description, 1024},
		"Evidence":    {got.ProductFields["kmsguard/Evidence"], 2048},
		"Suppression": {got.ProductFields["kmsguard/SuppressionReason"], 2048},
	} {
		if n := len([]rune(tc.s)); n > tc.max || n < tc.max/2 {
			t.Errorf("%s has %d characters, limit %d", name, n, tc.max)
		}
	}
}

// TestASFFBatches checks Security Hub's 100-findings-per-request limit.
func TestASFFBatches(t *testing.T) {
	c := testControls()
	var s Scan
	s.FinishedAt = testScan().FinishedAt
	for i := range 250 {
		s.Findings = append(s.Findings, finding(c["KMS.4"], controls.StatusFail, "AWS::KMS::Key",
			fmt.Sprintf("arn:aws:kms:eu-west-1:111122223333:key/%08d-0000-4000-8000-000000000000", i), "eu-west-1", "rotation disabled"))
	}
	reqs := decodeASFF(t, render(t, "asff", Options{}, s))
	var sizes []int
	ids := map[string]bool{}
	for _, r := range reqs {
		sizes = append(sizes, len(r.Findings))
		for _, f := range r.Findings {
			ids[*f.Id] = true
		}
	}
	if fmt.Sprint(sizes) != "[100 100 50]" {
		t.Errorf("batch sizes %v, want [100 100 50]", sizes)
	}
	if len(ids) != 250 {
		t.Errorf("got %d distinct finding ids, want 250", len(ids))
	}
}

// TestASFFRejectsInvalid: Security Hub rejects a finding without a 12-digit
// account id, so the writer refuses it up front with a clear message.
func TestASFFRejectsInvalid(t *testing.T) {
	s := testScan()
	s.Findings[0].AccountID = ""
	w, _ := New("asff", Options{})
	if err := w.Write(&bytes.Buffer{}, s); err == nil || !strings.Contains(err.Error(), "not a 12-digit AWS account id") {
		t.Errorf("want an AwsAccountId validation error, got %v", err)
	}
}

func TestSARIFStructure(t *testing.T) {
	var log map[string]any
	if err := json.Unmarshal(render(t, "sarif", Options{ShowPassed: true}, testScan()), &log); err != nil {
		t.Fatal(err)
	}
	if log["version"] != "2.1.0" || !strings.Contains(fmt.Sprint(log["$schema"]), "sarif-schema-2.1.0") {
		t.Fatalf("version/$schema: %v %v", log["version"], log["$schema"])
	}
	runs := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("want one run, got %d", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "kmsguard" {
		t.Errorf("driver.name = %v", driver["name"])
	}
	rules := driver["rules"].([]any)
	ruleIDs := map[string]int{}
	for i, r := range rules {
		rm := r.(map[string]any)
		id, _ := rm["id"].(string)
		if id == "" {
			t.Errorf("rule %d has no id", i)
		}
		ruleIDs[id] = i
		if rm["help"] == nil || rm["shortDescription"] == nil {
			t.Errorf("rule %s lacks help or shortDescription", id)
		}
	}
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	kinds := map[string]bool{"pass": true, "open": true, "informational": true, "notApplicable": true, "review": true, "fail": true}
	counts := map[string]int{}
	for i, r := range run["results"].([]any) {
		rm := r.(map[string]any)
		id := rm["ruleId"].(string)
		idx, ok := ruleIDs[id]
		if !ok || int(rm["ruleIndex"].(float64)) != idx {
			t.Errorf("result %d: ruleId %s / ruleIndex %v do not name a rule", i, id, rm["ruleIndex"])
		}
		if text, _ := rm["message"].(map[string]any)["text"].(string); text == "" {
			t.Errorf("result %d: message.text is required", i)
		}
		level, kind := rm["level"].(string), rm["kind"].(string)
		if !levels[level] || !kinds[kind] {
			t.Errorf("result %d: level %q kind %q", i, level, kind)
		}
		if kind != "fail" && level != "none" { // SARIF §3.27.9
			t.Errorf("result %d: kind %s must have level none, has %s", i, kind, level)
		}
		loc := rm["locations"].([]any)[0].(map[string]any)["logicalLocations"].([]any)[0].(map[string]any)
		if !strings.HasPrefix(loc["fullyQualifiedName"].(string), "arn:aws:") {
			t.Errorf("result %d: logical location %v is not an ARN", i, loc)
		}
		counts[kind]++
	}
	if fmt.Sprint(counts) != "map[fail:7 notApplicable:1 open:1 pass:2]" {
		t.Errorf("result kinds %v", counts)
	}
	var plain map[string]any
	_ = json.Unmarshal(render(t, "sarif", Options{}, testScan()), &plain)
	if n := len(plain["runs"].([]any)[0].(map[string]any)["results"].([]any)); n != 8 {
		t.Errorf("without ShowPassed want 8 results (7 FAIL + 1 UNKNOWN), got %d", n)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	s := testScan()
	rows, err := csv.NewReader(bytes.NewReader(render(t, "csv", Options{}, s))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(s.Findings)+1 {
		t.Fatalf("got %d rows, want header + %d", len(rows), len(s.Findings))
	}
	for i, r := range rows {
		if len(r) != len(csvHeader()) {
			t.Errorf("row %d has %d fields, want %d", i, len(r), len(csvHeader()))
		}
	}
	// The KMS.3 finding sorts first: critical, FAIL.
	if rows[1][2] != "KMS.3" || rows[1][9] != "KeyState: PendingDeletion\nDeletionDate: 2026-11-30T00:00:00Z\nPendingWindowInDays: 7" {
		t.Errorf("first row = %q", rows[1])
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var r struct {
		SchemaVersion string `json:"schema_version"`
		Summary       Summary
		Findings      []struct {
			controls.Finding
			Control controls.Control `json:"control"`
		}
	}
	if err := json.Unmarshal(render(t, "json", Options{}, testScan()), &r); err != nil {
		t.Fatal(err)
	}
	if r.SchemaVersion != JSONSchemaVersion || r.Summary.Total != 11 || len(r.Findings) != 11 {
		t.Fatalf("schema %q total %d findings %d", r.SchemaVersion, r.Summary.Total, len(r.Findings))
	}
	first := r.Findings[0]
	if first.ControlID != "KMS.3" || first.Control.Remediation.CLI[0] != "aws kms cancel-key-deletion --key-id <key-id>" ||
		first.Control.Mappings.SecurityHub[0] != "KMS.3" {
		t.Errorf("first finding lost control metadata: %+v", first)
	}
}

func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	out := string(render(t, "html", Options{}, testScan()))
	for _, banned := range []string{"<script", "<link", " src=", "@import", "url("} {
		if strings.Contains(out, banned) {
			t.Errorf("HTML must be self-contained; found %q", banned)
		}
	}
	if strings.Contains(out, "<ci-deploy-kms>") || !strings.Contains(out, "&lt;ci-deploy-kms&gt;") {
		t.Errorf("finding text must be HTML-escaped")
	}
	// Commands are filled in with the finding's own key id.
	if !strings.Contains(out, "aws kms cancel-key-deletion --key-id 0f4e1c2a-7b3d-4e8f-9a1b-2c3d4e5f6a7b") {
		t.Errorf("remediation command not filled with the key id")
	}
	if n := strings.Count(out, `<section class="finding`); n != 7 {
		t.Errorf("want 7 detailed findings (unsuppressed FAIL and UNKNOWN), got %d", n)
	}
	if path := os.Getenv("KMSGUARD_HTML_OUT"); path != "" { // for a manual look in a browser
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Error(err)
		}
	}
}
