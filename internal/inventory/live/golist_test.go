package live

import (
	"os/exec"
	"strings"
)

// goList returns the directory of a module in the module cache.
func goList(module string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	return strings.TrimSpace(string(out)), err
}
