// Package config reads kmsguard.yaml: control parameters, the organisation's
// trusted accounts, the allowlist of authorised principals, severity
// overrides, suppressions with a reason and an expiry, and which controls
// run. Parsing is strict: an unknown key is an error with its line number.
package config

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/notify"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// Config is a parsed kmsguard.yaml. The zero value is not valid; use
// Default or Parse, which fill defaults for everything left out.
type Config struct {
	Version      int              `yaml:"version"`
	Controls     ControlSelection `yaml:"controls"`
	Parameters   Parameters       `yaml:"parameters"`
	Organization Organization     `yaml:"organization"`
	Allowlist    Allowlist        `yaml:"allowlist"`
	Guardrails   Guardrails       `yaml:"guardrails"`
	// Severity overrides a control's default severity, keyed by control id.
	Severity     map[string]severity.Level `yaml:"-"`
	Suppressions []Suppression             `yaml:"suppressions"`
	// Notify is the notify section: channels, routes, templates and
	// delivery, read strictly; notify.Build validates and resolves it.
	Notify notify.Config `yaml:"notify"`

	// refs are the control ids the file names, with where and on which line,
	// for controls.ValidateConfig to check against the catalogue.
	refs []ControlRef
}

// ControlSelection chooses which controls run: when Enable is non-empty only
// those run; Disable always wins.
type ControlSelection struct {
	Enable  []string `yaml:"enable"`
	Disable []string `yaml:"disable"`
}

// Parameters are the per-control parameters, named as the AWS Config rules
// name them.
type Parameters struct {
	KMS1 ManagedPolicyParams `yaml:"KMS.1"`
	KMS2 InlinePolicyParams  `yaml:"KMS.2"`
	KMS4 RotationParams      `yaml:"KMS.4"`
}

// defaultBlockedActions is the AWS Config rules' default blockedActionsPatterns.
func defaultBlockedActions() []string { return []string{"kms:Decrypt", "kms:ReEncryptFrom"} }

// ManagedPolicyParams configures KMS.1 (iam-customer-policy-blocked-kms-actions).
type ManagedPolicyParams struct {
	BlockedActionsPatterns []string `yaml:"blockedActionsPatterns"`
	// ExcludePermissionBoundaryPolicy skips policies used only as
	// permissions boundaries (default true, as in the AWS Config rule).
	ExcludePermissionBoundaryPolicy *bool `yaml:"excludePermissionBoundaryPolicy"`
}

// InlinePolicyParams configures KMS.2 (iam-inline-policy-blocked-kms-actions).
type InlinePolicyParams struct {
	BlockedActionsPatterns []string `yaml:"blockedActionsPatterns"`
}

// RotationParams configures KMS.4.
type RotationParams struct {
	// MaxRotationPeriodDays fails keys that rotate less often than this;
	// 0 means any enabled rotation passes. KMS allows 90 to 2560 days.
	MaxRotationPeriodDays int `yaml:"maxRotationPeriodDays"`
}

// Organization names the accounts and organisations that count as "ours".
type Organization struct {
	// TrustedAccounts are other account ids access may be granted to without
	// a cross-account finding.
	TrustedAccounts []string `yaml:"trustedAccounts"`
	// OrganizationIDs are the o-... ids an aws:PrincipalOrgID pin may name.
	OrganizationIDs []string `yaml:"organizationIds"`
}

// Allowlist names the principals authorised to administer or use keys.
type Allowlist struct {
	Principals []AuthorisedPrincipal `yaml:"principals"`
	// BreakGlass are ARN patterns of the roles allowed to delete keys and to
	// change key policies in an emergency.
	BreakGlass []string `yaml:"breakGlass"`
}

// Guardrails configures `kmsguard guardrails`: which keys the generated SCPs
// protect and how. The authorised principals are Allowlist.BreakGlass and the
// accounts grants may target are Organization.TrustedAccounts.
type Guardrails struct {
	// ProtectedKeys are key ARN patterns; with ProtectedTags empty too,
	// every key is protected.
	ProtectedKeys []string `yaml:"protectedKeys"`
	// ProtectedTags protects keys carrying any of these tags (key: value).
	ProtectedTags map[string]string `yaml:"protectedTags"`
	// MinPendingWindowDays denies shorter deletion waiting periods (7-30).
	MinPendingWindowDays int `yaml:"minPendingWindowDays"`
	// DenyForeignGrants denies CreateGrant to principals outside the
	// trusted accounts.
	DenyForeignGrants bool `yaml:"denyForeignGrants"`
}

// AuthorisedPrincipal is an ARN pattern (with * and ?) and why it is trusted.
type AuthorisedPrincipal struct {
	Pattern string `yaml:"pattern"`
	Reason  string `yaml:"reason"`
}

// Suppression accepts the findings of one control on matching resources
// until an expiry date.
type Suppression struct {
	Control  string `yaml:"control"`  // control id, or "*" for all
	Resource string `yaml:"resource"` // ARN pattern with * and ?
	Reason   string `yaml:"reason"`
	Expires  string `yaml:"expires"` // YYYY-MM-DD; the suppression applies through that day (UTC)
	Line     int    `yaml:"-"`       // line in the file, for reports
	expires  time.Time
}

// ControlRef is a control id named in the file.
type ControlRef struct {
	ID    string
	Where string // e.g. "severity", "suppressions[2].control"
	Line  int
}

// Default returns the configuration used when there is no file.
func Default() *Config {
	c := &Config{Version: 1}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.Version == 0 {
		c.Version = 1
	}
	if c.Parameters.KMS1.BlockedActionsPatterns == nil {
		c.Parameters.KMS1.BlockedActionsPatterns = defaultBlockedActions()
	}
	if c.Parameters.KMS1.ExcludePermissionBoundaryPolicy == nil {
		t := true
		c.Parameters.KMS1.ExcludePermissionBoundaryPolicy = &t
	}
	if c.Parameters.KMS2.BlockedActionsPatterns == nil {
		c.Parameters.KMS2.BlockedActionsPatterns = defaultBlockedActions()
	}
	if c.Severity == nil {
		c.Severity = map[string]severity.Level{}
	}
}

// ControlRefs lists every control id the file names.
func (c *Config) ControlRefs() []ControlRef { return c.refs }

// Enabled reports whether the control runs.
func (c *Config) Enabled(id string) bool {
	for _, d := range c.Controls.Disable {
		if d == id {
			return false
		}
	}
	if len(c.Controls.Enable) == 0 {
		return true
	}
	for _, e := range c.Controls.Enable {
		if e == id {
			return true
		}
	}
	return false
}

// SeverityFor returns the overridden severity of a control, or def.
func (c *Config) SeverityFor(id string, def severity.Level) severity.Level {
	if l, ok := c.Severity[id]; ok {
		return l
	}
	return def
}

// IsBreakGlass reports whether arn matches a break-glass pattern.
func (c *Config) IsBreakGlass(arn string) bool {
	for _, p := range c.Allowlist.BreakGlass {
		if MatchPattern(p, arn) {
			return true
		}
	}
	return false
}

// AuthorisedPrincipal returns the allowlist entry arn matches, or nil.
func (c *Config) AuthorisedPrincipal(arn string) *AuthorisedPrincipal {
	for i, p := range c.Allowlist.Principals {
		if MatchPattern(p.Pattern, arn) {
			return &c.Allowlist.Principals[i]
		}
	}
	return nil
}

// IsTrustedAccount reports whether id is a trusted other account.
func (c *Config) IsTrustedAccount(id string) bool {
	for _, a := range c.Organization.TrustedAccounts {
		if a == id {
			return true
		}
	}
	return false
}
