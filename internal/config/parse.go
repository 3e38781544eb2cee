package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kmsguard/kmsguard/internal/notify"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// fileConfig is the on-disk shape; Severity is read as text so that a bad
// level is reported with its line.
type fileConfig struct {
	Version      int               `yaml:"version"`
	Controls     ControlSelection  `yaml:"controls"`
	Parameters   Parameters        `yaml:"parameters"`
	Organization Organization      `yaml:"organization"`
	Allowlist    Allowlist         `yaml:"allowlist"`
	Guardrails   Guardrails        `yaml:"guardrails"`
	Severity     map[string]string `yaml:"severity"`
	Suppressions []Suppression     `yaml:"suppressions"`
	Notify       notify.Config     `yaml:"notify"`
}

// Load reads and parses the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	orgIDRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// Parse parses kmsguard.yaml content; name is used in error messages. All
// problems are returned together, each as "name:line: message".
func Parse(data []byte, name string) (*Config, error) {
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("%s:%d: only one YAML document is allowed", name, extra.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	lines := lineIndex(&root)

	c := &Config{Version: fc.Version, Controls: fc.Controls, Parameters: fc.Parameters,
		Organization: fc.Organization, Allowlist: fc.Allowlist, Guardrails: fc.Guardrails, Suppressions: fc.Suppressions, Notify: fc.Notify,
		Severity: map[string]severity.Level{}}
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", name, lines.line(path), fmt.Sprintf(format, args...)))
	}
	if c.Version != 0 && c.Version != 1 {
		bad("version", "version %d is not supported (want 1)", c.Version)
	}
	for id, text := range fc.Severity {
		lvl, err := severity.Parse(text)
		if err != nil {
			bad("severity."+id, "%v", err)
			continue
		}
		c.Severity[id] = lvl
		c.refs = append(c.refs, ControlRef{ID: id, Where: "severity", Line: lines.line("severity." + id)})
	}
	for i, id := range c.Controls.Enable {
		c.refs = append(c.refs, ControlRef{ID: id, Where: "controls.enable", Line: lines.line(fmt.Sprintf("controls.enable[%d]", i))})
	}
	for i, id := range c.Controls.Disable {
		c.refs = append(c.refs, ControlRef{ID: id, Where: "controls.disable", Line: lines.line(fmt.Sprintf("controls.disable[%d]", i))})
	}
	if d := c.Parameters.KMS4.MaxRotationPeriodDays; d != 0 && (d < 90 || d > 2560) {
		bad("parameters.KMS.4.maxRotationPeriodDays", "maxRotationPeriodDays %d is outside KMS's 90 to 2560 days", d)
	}
	for i, a := range c.Organization.TrustedAccounts {
		if !accountIDRe.MatchString(a) {
			bad(fmt.Sprintf("organization.trustedAccounts[%d]", i), "%q is not a 12-digit account id", a)
		}
	}
	for i, o := range c.Organization.OrganizationIDs {
		if !orgIDRe.MatchString(o) {
			bad(fmt.Sprintf("organization.organizationIds[%d]", i), "%q is not an organisation id (o-...)", o)
		}
	}
	for i, p := range c.Allowlist.Principals {
		if strings.TrimSpace(p.Pattern) == "" {
			bad(fmt.Sprintf("allowlist.principals[%d]", i), "principal without a pattern")
		}
	}
	for i, p := range c.Allowlist.BreakGlass {
		if strings.TrimSpace(p) == "" {
			bad(fmt.Sprintf("allowlist.breakGlass[%d]", i), "empty break-glass pattern")
		}
	}
	for i := range c.Suppressions {
		s := &c.Suppressions[i]
		at := fmt.Sprintf("suppressions[%d]", i)
		s.Line = lines.line(at)
		switch {
		case s.Control == "":
			bad(at, "suppression without a control (use \"*\" for all controls)")
		case s.Control != "*":
			c.refs = append(c.refs, ControlRef{ID: s.Control, Where: at + ".control", Line: s.Line})
		}
		if s.Resource == "" {
			bad(at, "suppression without a resource pattern")
		}
		if strings.TrimSpace(s.Reason) == "" {
			bad(at, "suppression without a reason")
		}
		t, err := time.Parse("2006-01-02", s.Expires)
		if err != nil {
			bad(at, "expires %q: want a date YYYY-MM-DD (every suppression needs an expiry)", s.Expires)
		}
		s.expires = t
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.applyDefaults()
	return c, nil
}

// yamlError turns yaml.v3's messages into "name:line: message" lines.
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, e := range te.Errors {
			errs = append(errs, fmt.Errorf("%s:%s", name, friendly(strings.TrimPrefix(e, "line "))))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("%s: %s", name, friendly(strings.TrimPrefix(err.Error(), "yaml: ")))
}

func friendly(msg string) string {
	msg = strings.ReplaceAll(msg, "config.fileConfig", "the top level")
	msg = strings.ReplaceAll(msg, "config.", "")
	return msg
}

// lines maps a dotted path ("suppressions[0]", "severity.KMS.4") to its line.
type lines map[string]int

func (l lines) line(path string) int {
	if n, ok := l[path]; ok {
		return n
	}
	// Fall back to the closest ancestor that has a line.
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '.' || path[i] == '[' {
			if n, ok := l[path[:i]]; ok {
				return n
			}
		}
	}
	return 1
}

func lineIndex(root *yaml.Node) lines {
	l := lines{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				l[p] = k.Line
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				l[p] = c.Line
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return l
}
