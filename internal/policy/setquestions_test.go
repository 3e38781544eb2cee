package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKMSKeysUniverse(t *testing.T) {
	tests := []struct {
		partition, arn string
		want           bool
	}{
		{"aws", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", true},
		{"aws", "arn:aws:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab", true},
		{"aws", "arn:aws:kms:eusc-de-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", true},
		{"aws", "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", false},
		{"", "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", true},
		{"", "arn:aws-iso-b:kms:us-isob-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", true},
		{"aws", "arn:aws:kms:us-east-1:111122223333:alias/x", false},
		{"aws", "arn:aws:kms:us-east-1:11112222333:key/1234abcd-12ab-34cd-56ef-1234567890ab", false},
		{"aws", "arn:aws:kms:us-east-1:111122223333:key/1234ABCD-12ab-34cd-56ef-1234567890ab", false},
		{"aws", "arn:aws:kms:us-east-1:111122223333:key/mrk-1234", false},
		{"aws", "arn:aws:kms:useast1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", false},
	}
	for _, tt := range tests {
		t.Run(tt.partition+" "+tt.arn, func(t *testing.T) {
			if got := KMSKeys(tt.partition).Contains(tt.arn); got != tt.want {
				t.Errorf("Contains = %v, want %v", got, tt.want)
			}
		})
	}
	outside := KMSKeysOutside("aws", []string{"111122223333"})
	if outside.Contains(tests[0].arn) || !outside.Contains(strings.Replace(tests[0].arn, "111122223333", "444455556666", 1)) {
		t.Error("KMSKeysOutside does not remove exactly the trusted account's keys")
	}
}

func TestAnyPartition(t *testing.T) {
	p := mustParse(t, doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*"`)))
	an := NewAnalyzer(0)
	got, err := an.AllowsAll(p, "kms:Decrypt", KMSKeys(""))
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != No || !strings.HasPrefix(got.Witness, "arn:aws-") {
		t.Errorf("over every partition: %s with witness %q, want NO with another partition's key", got.Verdict, got.Witness)
	}
	star := mustParse(t, doc(allow(`"kms:Decrypt"`, `"arn:*:kms:*"`)))
	if got, _ := an.AllowsAll(star, "kms:Decrypt", KMSKeys("")); got.Verdict != Yes {
		t.Errorf("arn:*:kms:* over every partition: %s, want YES", got.Verdict)
	}
}

func TestOutsideTrusted(t *testing.T) {
	tests := []struct {
		name, policy string
		want         Verdict
		witness      string
	}{
		{"exclusion of one key", doc(`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"` + oneKey + `"}`), Yes, "arn:aws:kms:a-a-0:000000000000:key/"},
		{"own account only", doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:111122223333:key/*"`)), No, ""},
		{"own and one foreign account", doc(allow(`"kms:Decrypt"`, `["arn:aws:kms:*:111122223333:key/*","arn:aws:kms:*:444455556666:key/*"]`)), Yes, "arn:aws:kms:a-a-0:444455556666:key/"},
		{"conditional foreign", doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",` + condVia + `}`), Conditional, "arn:aws:kms:a-a-0:000000000000:"},
		{"denied outside", doc(allow(`"kms:*"`, `"*"`), `{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:*"}`), No, ""},
	}
	an := NewAnalyzer(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy)
			rep, err := an.CheckBlockedAction(p, "kms:Decrypt", "aws", []string{"111122223333"})
			if err != nil {
				t.Fatal(err)
			}
			got := rep.OutsideTrusted
			if got.Verdict != tt.want {
				t.Errorf("verdict %s, want %s (witness %q)", got.Verdict, tt.want, got.Witness)
			}
			checkWitness(t, got.Witness, tt.witness)
			if tt.want == No && got.Witness != "" {
				t.Errorf("NO with witness %q", got.Witness)
			}
		})
	}
	if _, err := an.CheckBlockedAction(mustParse(t, doc()), "kms:Decrypt", "aws", []string{"1234"}); err == nil {
		t.Error("a malformed trusted account id is accepted")
	}
}

func TestSizeCapGivesUnknown(t *testing.T) {
	p := mustParse(t, doc(allow(`"kms:Decrypt"`, hexPrefixes("0123456789abcdef", true))))
	got, err := NewAnalyzer(10).AllowsAll(p, "kms:Decrypt", KMSKeys("aws"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != Unknown || got.UpperBound || got.LowerBound || got.Reason == "" {
		t.Errorf("got %+v, want UNKNOWN with a reason and no bound claimed", got)
	}
}

func TestActionPatterns(t *testing.T) {
	tests := []struct {
		name, policy, pattern string
		want                  Verdict
		example               string
	}{
		{"one action of the pattern", doc(allow(`"kms:Decrypt"`, `"*"`)), "kms:*", Yes, "kms:decrypt"},
		{"another action of the pattern", doc(allow(`"kms:Encrypt"`, `"*"`), allow(`"kms:Decrypt"`, `"arn:aws:kms:us-east-1:*"`)), "kms:*crypt", Yes, "kms:encrypt"},
		{"all denied", doc(allow(`"kms:*"`, `"*"`), deny(`"kms:Decrypt*"`, `"*"`)), "kms:Decrypt*", No, "kms:decrypt"},
		{"some escape the deny", doc(allow(`"kms:*"`, `"*"`), deny(`"kms:Decrypt*"`, `"*"`)), "kms:De*", Yes, "kms:de"},
		{"conditional", doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",` + condVia + `}`), "kms:*", Conditional, "kms:decrypt"},
		{"NotAction deny leaves one", doc(allow(`"*"`, `"*"`), `{"Effect":"Deny","NotAction":"kms:Encrypt","Resource":"*"}`), "kms:*", Yes, "kms:encrypt"},
		{"nothing covers it", doc(allow(`"s3:*"`, `"*"`)), "kms:ReEncrypt*", No, "kms:reencrypt"},
	}
	an := NewAnalyzer(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy)
			got, err := an.AllowsAll(p, tt.pattern, KMSKeys("aws"))
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != tt.want || got.ExampleAction != tt.example || got.Action != tt.pattern {
				t.Errorf("got %s for %q (action %q), want %s for %q", got.Verdict, got.ExampleAction, got.Action, tt.want, tt.example)
			}
			// The class's example action, asked concretely, gives the same answer.
			concrete, err := an.AllowsAll(p, got.ExampleAction, KMSKeys("aws"))
			if err != nil {
				t.Fatal(err)
			}
			if concrete.Verdict != got.Verdict || concrete.Witness != got.Witness {
				t.Errorf("concrete %s: %s %q, pattern answer %s %q", got.ExampleAction, concrete.Verdict, concrete.Witness, got.Verdict, got.Witness)
			}
		})
	}
}

func TestCoverAction(t *testing.T) {
	tests := []struct {
		name      string
		statement string
		pattern   string
		want      ActionCoverage
	}{
		{"exact", allow(`"kms:Decrypt"`, `"*"`), "kms:Decrypt", ActionCoverage{Pattern: "kms:Decrypt", Coverage: CoversAll, Example: "kms:decrypt"}},
		{"case-insensitive wildcard", allow(`"KMS:DEC*"`, `"*"`), "kms:Decrypt", ActionCoverage{Pattern: "kms:Decrypt", Coverage: CoversAll, Example: "kms:decrypt"}},
		{"all of a pattern", allow(`"kms:*"`, `"*"`), "kms:ReEncrypt*", ActionCoverage{Pattern: "kms:ReEncrypt*", Coverage: CoversAll, Example: "kms:reencrypt"}},
		{"part of a pattern", allow(`"kms:ReEncryptFrom"`, `"*"`), "kms:ReEncrypt*", ActionCoverage{Pattern: "kms:ReEncrypt*", Coverage: CoversSome, Example: "kms:reencryptfrom", Missed: "kms:reencrypt"}},
		{"NotAction excludes it", `{"Effect":"Allow","NotAction":"kms:*","Resource":"*"}`, "kms:Decrypt", ActionCoverage{Pattern: "kms:Decrypt", Coverage: CoversNone, Missed: "kms:decrypt"}},
		{"NotAction elsewhere", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`, "kms:Decrypt", ActionCoverage{Pattern: "kms:Decrypt", Coverage: CoversAll, Example: "kms:decrypt"}},
		{"union covers", allow(`["kms:ReEncryptFrom","kms:ReEncryptTo","kms:ReEncrypt"]`, `"*"`), "kms:ReEncrypt*", ActionCoverage{Pattern: "kms:ReEncrypt*", Coverage: CoversSome, Example: "kms:reencrypt", Missed: "kms:reencrypt0"}},
		{"question mark", allow(`"kms:?ecrypt"`, `"*"`), "kms:Decrypt", ActionCoverage{Pattern: "kms:Decrypt", Coverage: CoversAll, Example: "kms:decrypt"}},
	}
	an := NewAnalyzer(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, doc(tt.statement))
			got := an.CoverAction(&p.Statements[0], tt.pattern)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CoverAction mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHugePatternsGiveUnknown(t *testing.T) {
	var pats []string
	for i := range 3000 {
		pats = append(pats, fmt.Sprintf(`"arn:aws:kms:*:*:key/%08x-%s"`, i, strings.Repeat("0123456789abcdef", 4)))
	}
	p := mustParse(t, doc(allow(`"kms:Decrypt"`, "["+strings.Join(pats, ",")+"]")))
	got, err := NewAnalyzer(0).AllowsAll(p, "kms:Decrypt", KMSKeys("aws"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != Unknown || got.Reason == "" {
		t.Errorf("verdict %s (%q), want UNKNOWN with a reason", got.Verdict, got.Reason)
	}
}

// TestCacheKeysAreUnambiguous: a pattern holding a NUL must not share a
// cached automaton with two patterns split at the NUL.
func TestCacheKeysAreUnambiguous(t *testing.T) {
	an := NewAnalyzer(0)
	one := mustParse(t, doc(allow(`"kms:Decrypt"`, `["arn:aws:kms:*\u0000x"]`)))
	two := mustParse(t, doc(allow(`"kms:Decrypt"`, `["arn:aws:kms:*","x"]`)))
	a1, _ := an.AllowsAll(one, "kms:Decrypt", KMSKeys("aws"))
	a2, _ := an.AllowsAll(two, "kms:Decrypt", KMSKeys("aws"))
	if a1.Verdict != No || a2.Verdict != Yes {
		t.Errorf("verdicts %s and %s, want NO and YES", a1.Verdict, a2.Verdict)
	}
}
