package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/kmsguard/kmsguard/internal/controls"
)

// largeScan is a scan of a big account: 5,000 keys with three controls each
// and 10,000 IAM policies.
func largeScan() Scan {
	c := testControls()
	s := testScan()
	s.Findings = nil
	for i := range 5000 {
		key := fmt.Sprintf("arn:aws:kms:eu-west-1:111122223333:key/%08d-1111-4222-8333-444455556666", i)
		status := controls.StatusPass
		if i%7 == 0 {
			status = controls.StatusFail
		}
		s.Findings = append(s.Findings,
			finding(c["KMS.4"], status, "AWS::KMS::Key", key, "eu-west-1", "Automatic rotation is disabled", "KeyRotationEnabled: false"),
			finding(c["KMS.5"], controls.StatusPass, "AWS::KMS::Key", key, "eu-west-1", "No statement allows everyone"),
			finding(c["KMSG.DELETION"], controls.StatusFail, "AWS::KMS::Key", key, "eu-west-1", "No Deny of kms:ScheduleKeyDeletion"))
	}
	for i := range 10000 {
		s.Findings = append(s.Findings, finding(c["KMS.1"], controls.StatusPass, "AWS::IAM::Policy",
			fmt.Sprintf("arn:aws:iam::111122223333:policy/team-%05d", i), "", "No KMS decrypt on all keys"))
	}
	return s
}

// BenchmarkWriters measures each format over 25,000 findings.
func BenchmarkWriters(b *testing.B) {
	s := largeScan()
	for _, format := range Formats() {
		b.Run(format, func(b *testing.B) {
			w, err := New(format, Options{ShowPassed: true})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := w.Write(io.Discard, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
