package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/severity"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

func render(t *testing.T, format string, opts Options, s Scan) []byte {
	t.Helper()
	w, err := New(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, s); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		format string
		opts   Options
	}{
		{"table.txt", "table", Options{}},
		{"table-verbose-all.txt", "table", Options{Verbose: true, ShowPassed: true}},
		{"table-color.txt", "table", Options{Color: true, Verbose: true}},
		{"report.json", "json", Options{}},
		{"report.csv", "csv", Options{}},
		{"report.sarif", "sarif", Options{}},
		{"report-all.sarif", "sarif", Options{ShowPassed: true}},
		{"report.asff", "asff", Options{}},
		{"report.ocsf.jsonl", "ocsf", Options{}},
		{"report.html", "html", Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, render(t, tc.format, tc.opts, testScan()))
		})
	}
}

// TestDeterministic renders every format twice from differently ordered
// input and expects the same bytes.
func TestDeterministic(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			s1, s2 := testScan(), testScan()
			for i, j := 0, len(s2.Findings)-1; i < j; i, j = i+1, j-1 {
				s2.Findings[i], s2.Findings[j] = s2.Findings[j], s2.Findings[i]
			}
			a, b := render(t, format, Options{}, s1), render(t, format, Options{}, s2)
			if !bytes.Equal(a, b) {
				t.Errorf("output depends on input order or on chance:\n%s", cmp.Diff(string(a), string(b)))
			}
		})
	}
}

func TestNewUnknownFormat(t *testing.T) {
	_, err := New("xml", Options{})
	if err == nil {
		t.Fatal("want an error for an unknown format")
	}
	for _, f := range Formats() {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not list format %s", err, f)
		}
	}
	if _, err := New("SARIF", Options{}); err != nil {
		t.Errorf("format names are case-insensitive: %v", err)
	}
}

func TestTableHidesPassedButCountsThem(t *testing.T) {
	out := string(render(t, "table", Options{}, testScan()))
	if strings.Contains(out, keyOK) || strings.Contains(out, keyRSA) {
		t.Errorf("PASS and NOT_APPLICABLE rows must be hidden by default:\n%s", out)
	}
	if !strings.Contains(out, "2 PASS, 1 NOT_APPLICABLE") {
		t.Errorf("summary must count passed findings:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("no ANSI escapes without Options.Color")
	}
	colored := string(render(t, "table", Options{Color: true}, testScan()))
	if !strings.Contains(colored, "\x1b[31m") {
		t.Errorf("want ANSI colour with Options.Color")
	}
}

func TestExceedsThreshold(t *testing.T) {
	c := testControls()
	fail := func(l severity.Level) controls.Finding {
		f := finding(c["KMS.4"], controls.StatusFail, "AWS::KMS::Key", keyRot, "us-east-1", "x")
		f.Severity = l
		return f
	}
	suppressed := fail(severity.Critical)
	suppressed.Suppressed = &controls.Suppression{Reason: "accepted"}
	unknown := fail(severity.Critical)
	unknown.Status = controls.StatusUnknown
	pass := fail(severity.Critical)
	pass.Status = controls.StatusPass
	tests := []struct {
		name      string
		findings  []controls.Finding
		threshold severity.Level
		want      bool
	}{
		{"none", nil, severity.Low, false},
		{"fail at threshold", []controls.Finding{fail(severity.High)}, severity.High, true},
		{"fail above threshold", []controls.Finding{fail(severity.Critical)}, severity.High, true},
		{"fail below threshold", []controls.Finding{fail(severity.Medium)}, severity.High, false},
		{"suppressed critical does not count", []controls.Finding{suppressed}, severity.Low, false},
		{"unknown does not count", []controls.Finding{unknown}, severity.Low, false},
		{"pass does not count", []controls.Finding{pass}, severity.Low, false},
		{"one of many", []controls.Finding{pass, fail(severity.Low), fail(severity.High)}, severity.High, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExceedsThreshold(tc.findings, tc.threshold); got != tc.want {
				t.Errorf("ExceedsThreshold = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	got := Summarize(testScan().Findings)
	want := Summary{
		Total: 11,
		ByStatus: map[controls.Status]int{
			controls.StatusFail: 7, controls.StatusUnknown: 1, controls.StatusPass: 2, controls.StatusNotApplicable: 1,
		},
		Failing: map[severity.Level]int{
			severity.Critical: 2, severity.High: 0, severity.Medium: 3, severity.Low: 1, severity.Informational: 0,
		},
		Suppressed: 1,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Summary{}, "ByControl")); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	if k4 := got.ByControl["KMS.4"]; k4.Fail != 1 || k4.Pass != 1 || k4.NotApp != 1 {
		t.Errorf("KMS.4 summary = %+v, want 1 fail, 1 pass, 1 not applicable", k4)
	}
}

// TestEmptyScan: a clean account still gets a well-formed report.
func TestEmptyScan(t *testing.T) {
	s := Scan{Accounts: []string{acct}, Regions: []string{"eu-west-1"}, FinishedAt: testScan().FinishedAt}
	want := map[string]string{
		"table": "No failing or unknown findings.",
		"json":  `"findings": []`,
		"csv":   "account_id,region,control_id",
		"sarif": `"results": []`,
		"html":  "Nothing failing.",
	}
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			out := string(render(t, format, Options{}, s))
			if w, ok := want[format]; ok && !strings.Contains(out, w) {
				t.Errorf("want %q in:\n%s", w, out)
			}
			if (format == "asff" || format == "ocsf") && out != "" {
				t.Errorf("want no lines, got %q", out)
			}
		})
	}
}
