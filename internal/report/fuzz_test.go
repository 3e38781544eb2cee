package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// FuzzWriters feeds arbitrary text into the fields a finding carries from
// the account (names, policy statements, error messages): every writer must
// succeed, never panic, and keep machine formats parseable.
func FuzzWriters(f *testing.F) {
	f.Add("Inline policy <ci> allows kms:Decrypt on \"*\"", "arn:aws:iam::111122223333:user/ci", `{"Effect":"Allow"}`, 3)
	f.Add("line\nbreak\r\nand\ttab", "arn:aws-cn:kms:cn-north-1:111122223333:key/x", "=cmd|' /C calc'!A0", 5)
	f.Add("", "", "", 0)
	f.Add("\xff\xfe invalid utf-8 \x00", "arn:", "ü\u2028\u2029</script>", 9)
	f.Add(strings.Repeat("long ", 400), "arn:aws:kms:us-east-1:111122223333:key/"+strings.Repeat("a", 300), "e", 1)
	f.Fuzz(func(t *testing.T, reason, resource, evidence string, level int) {
		c := testControls()["KMS.5"]
		fd := finding(c, controls.StatusFail, "AWS::KMS::Key", resource, "eu-west-1", reason, evidence)
		fd.Severity = severity.Level(level % 7)
		s := testScan()
		s.Findings = append(s.Findings, fd)
		s.Problems = append(s.Problems, reason)
		for _, format := range Formats() {
			out := render(t, format, Options{Verbose: true, ShowPassed: true, Color: level%2 == 0}, s)
			switch format {
			case "json", "sarif":
				if !json.Valid(out) {
					t.Fatalf("%s output is not JSON", format)
				}
			case "asff", "ocsf":
				for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
					if !json.Valid(line) {
						t.Fatalf("%s line is not JSON: %q", format, line)
					}
				}
			case "csv":
				rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
				if err != nil || len(rows) != len(s.Findings)+1 {
					t.Fatalf("csv does not round-trip: %v, %d rows", err, len(rows))
				}
			}
		}
	})
}

// FuzzAlertWriters does the same for alerts, whose fields come straight
// from CloudTrail records anyone can influence (user agent, parameters).
func FuzzAlertWriters(f *testing.F) {
	f.Add("aws-cli/2.15", "203.0.113.1", "attack.t1485", "keyId")
	f.Add("\x00\xff<script>", "not an ip", "attack.t1098.001", "")
	f.Add("", "2001:db8::1%eth0", "attack.", "\n")
	f.Fuzz(func(t *testing.T, ua, ip, tag, param string) {
		r := testAlertRun()
		a := r.Alerts[0]
		a.UserAgent, a.SourceIP, a.Tags = ua, ip, append(a.Tags, tag)
		a.RequestParameters = map[string]any{param: ua}
		r.Alerts = append(r.Alerts, a)
		for _, format := range AlertFormats() {
			out := renderAlerts(t, format, Options{Verbose: true}, r)
			if format == "ecs" || format == "ocsf" {
				for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
					if !json.Valid(line) {
						t.Fatalf("%s line is not JSON: %q", format, line)
					}
				}
			}
		}
	})
}

func FuzzParseAttackTags(f *testing.F) {
	f.Add("attack.t1485,attack.impact,attack.t1098.001")
	f.Add("attack.T....,attack.,attack.t12345")
	f.Fuzz(func(t *testing.T, tags string) {
		at := parseAttackTags(strings.Split(tags, ","))
		for _, id := range append(at.Techniques, at.Subtechniques...) {
			if !strings.HasPrefix(id, "T") || !isTechnique(strings.ToLower(id)) {
				t.Errorf("technique id %q", id)
			}
		}
	})
}
