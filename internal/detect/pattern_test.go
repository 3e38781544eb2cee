package detect

import "testing"

// TestSigmaEscapes follows the specification's escape table.
func TestSigmaEscapes(t *testing.T) {
	tests := []struct {
		value   string
		match   []string
		nomatch []string
	}{
		{`C:\Windows`, []string{`C:\Windows`, `c:\windows`}, []string{`C:Windows`}},
		{`C:\\Windows`, []string{`C:\Windows`}, []string{`C:\\Windows`}},
		{`a\*b`, []string{`a*b`}, []string{`axb`}},
		{`a\?b`, []string{`a?b`}, []string{`axb`}},
		{`dir\\*`, []string{`dir\`, `dir\anything`}, []string{`dir`}},
		{`dir\\\*`, []string{`dir\*`}, []string{`dir\x`}},
		{`\\\\`, []string{`\\`}, []string{`\`}},
		{`\\\x`, []string{`\\x`}, []string{`\x`}},
		{`prog?.exe`, []string{`progA.exe`, `PROG1.EXE`}, []string{`prog.exe`, `progAB.exe`}},
		{`*mid*dle*`, []string{`amidXdleZ`, `middle`}, []string{`mdle`}},
		{`*`, []string{``, `x`}, nil},
		{``, []string{``}, []string{`x`}},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			p := compilePattern(parseSigmaString(tt.value), false)
			for _, s := range tt.match {
				if !p.match(s) {
					t.Errorf("%q does not match %q", tt.value, s)
				}
			}
			for _, s := range tt.nomatch {
				if p.match(s) {
					t.Errorf("%q matches %q", tt.value, s)
				}
			}
		})
	}
}
