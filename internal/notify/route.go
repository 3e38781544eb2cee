package notify

import (
	"fmt"
	"path"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// Route sends matching alerts to channels. An alert matches when its
// severity is at least MinSeverity (unset: every severity) and its rule ID
// matches one of Rules (shell globs as in path.Match, e.g. "kms-*"; empty:
// every rule). Every matching route contributes its channels.
type Route struct {
	Channels    []string       `json:"channels" yaml:"channels"`
	MinSeverity severity.Level `json:"min_severity,omitempty" yaml:"min_severity,omitempty"`
	Rules       []string       `json:"rules,omitempty" yaml:"rules,omitempty"`
}

// Router picks channels for an alert.
type Router struct {
	routes []Route
}

// NewRouter validates the routes against the known channel names: an
// unknown channel or a malformed glob is a config error.
func NewRouter(routes []Route, channels map[string]bool) (*Router, error) {
	for i, r := range routes {
		if len(r.Channels) == 0 {
			return nil, fmt.Errorf("routes[%d]: channels is empty", i)
		}
		for _, c := range r.Channels {
			if !channels[c] {
				return nil, fmt.Errorf("routes[%d]: unknown channel %q", i, c)
			}
		}
		for _, g := range r.Rules {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("routes[%d]: rule pattern %q: %w", i, g, err)
			}
		}
	}
	return &Router{routes: routes}, nil
}

// Match returns the channels the alert goes to, each once, in the order the
// routes name them.
func (r *Router) Match(a alert.Alert) []string {
	var out []string
	seen := map[string]bool{}
	for _, rt := range r.routes {
		if a.Severity < rt.MinSeverity || !ruleMatches(rt.Rules, a.RuleID) {
			continue
		}
		for _, c := range rt.Channels {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

func ruleMatches(globs []string, id string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, id); ok {
			return true
		}
	}
	return false
}

// Channels lists every channel some route names, each once.
func (r *Router) Channels() []string {
	var out []string
	seen := map[string]bool{}
	for _, rt := range r.routes {
		for _, c := range rt.Channels {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}
