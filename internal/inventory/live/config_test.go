package live

import (
	"strings"
	"testing"
)

func TestValidRoleName(t *testing.T) {
	for name, want := range map[string]bool{
		"kmsguard-audit":               true,
		"path/to/Role+=,.@_-1":         true,
		strings.Repeat("r", 512):       true,
		strings.Repeat("r", 513):       false,
		"":                             false,
		"role with space":              false,
		"role\n":                       false,
		"arn:aws:iam::1:role/kmsguard": false,
	} {
		if got := validRoleName(name); got != want {
			t.Errorf("validRoleName(%.20q) = %v, want %v", name, got, want)
		}
	}
}
