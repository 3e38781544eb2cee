package policy

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, tc := range kms1Cases() {
		f.Add([]byte(tc.policy))
	}
	f.Add([]byte(typicalPolicy))
	f.Add([]byte(`"%7B%22Statement%22%3A%5B%5D%7D"`))
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333"]},"Action":"*","Condition":{"ForAnyValue:StringLikeIfExists":{"k":["a*",1,true]}}}}`))
	f.Add([]byte("{\"a\":\"\\ud83d\\ude00\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Offset < 0 || pe.Line < 1 || pe.Column < 1 || pe.Msg == "" {
				t.Fatalf("badly located error %+v", pe)
			}
			return
		}
		req := Request{Principal: RequestPrincipal{ID: "arn:aws:sts::111122223333:assumed-role/r/s"}, Action: "kms:Decrypt",
			Resource: "arn:aws:kms:us-east-1:111122223333:key/mrk-0", Context: Context{"aws:username": {"u"}, "aws:SourceIp": {"192.0.2.1"}}}
		d := p.Evaluate(req)
		if len(d.Statements) != len(p.Statements) {
			t.Fatalf("%d results for %d statements", len(d.Statements), len(p.Statements))
		}
		an := NewAnalyzer(2000)
		ans, err := an.AllowsAll(p, "kms:Decrypt", KMSKeys("aws"))
		if err != nil {
			t.Fatal(err)
		}
		if ans.Verdict != Unknown && ans.Witness == "" {
			t.Fatalf("verdict %s without a witness", ans.Verdict)
		}
		if _, err := an.AllowsAny(p, "kms:Re*", KMSKeysOutside("", []string{"111122223333"})); err != nil {
			t.Fatal(err)
		}
		for i := range p.Statements {
			an.CoverAction(&p.Statements[i], "kms:Decrypt*")
		}
	})
}

// globRegexp is an independent oracle for wildcard matching.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func FuzzGlob(f *testing.F) {
	f.Add("arn:aws:kms:*:*:key/*", "arn:aws:kms:us-east-1:111122223333:key/abc")
	f.Add("a*b?c", "axxbyc")
	f.Add("*a*a*a*", "aaaa")
	f.Add("k?s:*", "kms:")
	f.Add("é*", "ééé")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 40 || len(s) > 60 || !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		want := globRegexp(pattern).MatchString(s)
		if got := compileGlob(pattern, false).match(s, false); got != want {
			t.Fatalf("glob.match(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
		if got := matchPattern(pattern, s, false); got != want {
			t.Fatalf("matchPattern(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
		if got := GlobUniverse("p", []string{pattern}, false).Contains(s); got != want {
			t.Fatalf("automaton for %q on %q = %v, regexp says %v", pattern, s, got, want)
		}
		// Inclusion of one pattern in itself and in "*" must hold.
		an := NewAnalyzer(2000)
		st := Statement{Actions: []string{pattern, "*"}}
		if c := an.CoverAction(&st, pattern); c.Coverage != CoversAll && c.Coverage != CoverageUnknown {
			t.Fatalf("%q does not cover itself: %+v", pattern, c)
		}
	})
}
