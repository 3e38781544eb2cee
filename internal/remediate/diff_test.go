package remediate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/remediate"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct{ name, a, b, want string }{
		{name: "equal", a: "x\ny\n", b: "x\ny\n", want: ""},
		{name: "one line changed", a: "a\nb\nc\n", b: "a\nB\nc\n",
			want: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{name: "from empty", a: "", b: "x\n", want: "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{name: "to empty", a: "x\ny\n", b: "", want: "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n"},
		{name: "two hunks", a: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", b: "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n",
			want: "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n"},
		{name: "close changes share a hunk", a: "1\n2\n3\n4\n5\n6\n", b: "X\n2\n3\n4\n5\nY\n",
			want: "--- a\n+++ b\n@@ -1,6 +1,6 @@\n-1\n+X\n 2\n 3\n 4\n 5\n-6\n+Y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := remediate.UnifiedDiff("a", "b", tt.a, tt.b)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
			if got != "" {
				checkPatch(t, tt.a, tt.b, got)
			}
		})
	}
}

// applyPatch applies a unified diff to a, as patch(1) would, strictly: every
// context and removed line must match.
func applyPatch(a, patch string) (string, error) {
	src := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	if a == "" {
		src = nil
	}
	lines := strings.Split(strings.TrimSuffix(patch, "\n"), "\n")[2:]
	var out []string
	pos := 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "@@"):
			var start int
			if _, err := fmt.Sscanf(l, "@@ -%d", &start); err != nil {
				return "", err
			}
			if strings.HasPrefix(l, fmt.Sprintf("@@ -%d,0 ", start)) {
				start++ // an empty range names the line before it
			}
			for ; pos < start-1; pos++ {
				out = append(out, src[pos])
			}
		case l[0] == ' ' || l[0] == '-':
			if pos >= len(src) || src[pos] != l[1:] {
				return "", fmt.Errorf("line %d does not match %q", pos+1, l)
			}
			if l[0] == ' ' {
				out = append(out, src[pos])
			}
			pos++
		case l[0] == '+':
			out = append(out, l[1:])
		}
	}
	out = append(out, src[pos:]...)
	if len(out) == 0 {
		return "", nil
	}
	return strings.Join(out, "\n") + "\n", nil
}

func checkPatch(t *testing.T, a, b, patch string) {
	t.Helper()
	got, err := applyPatch(a, patch)
	if err != nil {
		t.Fatalf("patch does not apply: %v\n%s", err, patch)
	}
	if got != b {
		t.Errorf("patched text differs from b:\n%s", cmp.Diff(b, got))
	}
}

func FuzzUnifiedDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n")
	f.Add("", "x\n")
	f.Add("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n3\n4\n5\n6\n7\n8\nX\n9\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		norm := func(s string) string {
			s = strings.ReplaceAll(s, "\r", "")
			for strings.Contains(s, "\n\n") {
				s = strings.ReplaceAll(s, "\n\n", "\n")
			}
			s = strings.TrimPrefix(s, "\n")
			if s != "" && !strings.HasSuffix(s, "\n") {
				s += "\n"
			}
			return s
		}
		a, b = norm(a), norm(b)
		if len(a) > 2000 || len(b) > 2000 {
			return
		}
		d := remediate.UnifiedDiff("a", "b", a, b)
		if (d == "") != (a == b) {
			t.Fatalf("empty diff = %v for a == b = %v", d == "", a == b)
		}
		if d != "" {
			checkPatch(t, a, b, d)
		}
	})
}
