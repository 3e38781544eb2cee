package config

import "time"

// ExpiresAt is the first instant the suppression no longer applies: the
// start of the day after Expires, in UTC.
func (s *Suppression) ExpiresAt() time.Time { return s.expires.AddDate(0, 0, 1) }

// Expired reports whether the suppression has stopped applying at now.
func (s *Suppression) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt()) }

// Matches reports whether the suppression names the control and resource
// (whether or not it has expired).
func (s *Suppression) Matches(controlID, resource string) bool {
	return (s.Control == "*" || s.Control == controlID) && MatchPattern(s.Resource, resource)
}

// Suppress returns the active suppression for a finding, if any, and the
// expired suppressions that would have matched it (reported, not applied).
func (c *Config) Suppress(controlID, resource string, now time.Time) (active *Suppression, expired []*Suppression) {
	for i := range c.Suppressions {
		s := &c.Suppressions[i]
		if !s.Matches(controlID, resource) {
			continue
		}
		if s.Expired(now) {
			expired = append(expired, s)
		} else if active == nil {
			active = s
		}
	}
	return active, expired
}

// ExpiredSuppressions lists the suppressions that no longer apply at now.
func (c *Config) ExpiredSuppressions(now time.Time) []*Suppression {
	var out []*Suppression
	for i := range c.Suppressions {
		if c.Suppressions[i].Expired(now) {
			out = append(out, &c.Suppressions[i])
		}
	}
	return out
}

// MatchPattern matches s against a pattern where * matches any run of
// characters (including ':' and '/') and ? matches one character, as IAM's
// StringLike and ArnLike do. Matching is case-sensitive.
func MatchPattern(pattern, s string) bool {
	// Iterative wildcard match with single backtracking point: linear in
	// practice and never exponential.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
