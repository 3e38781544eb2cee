// Package controls holds the posture control catalogue: typed controls with
// compliance metadata and pure check functions over an inventory.Account.
package controls

import "github.com/kmsguard/kmsguard/internal/severity"

// Status is the outcome of one control on one resource.
type Status string

// Statuses. UNKNOWN always carries the reason in Finding.Reason: a fact the
// control needed could not be read, and the control refuses to guess.
const (
	StatusPass          Status = "PASS"
	StatusFail          Status = "FAIL"
	StatusUnknown       Status = "UNKNOWN"
	StatusNotApplicable Status = "NOT_APPLICABLE"
)

// Finding is the result of one control on one resource. JSON field names are
// a documented contract: they may gain fields, never lose or rename them.
type Finding struct {
	ControlID    string         `json:"control_id"`
	Title        string         `json:"title"`
	Severity     severity.Level `json:"severity"`
	Status       Status         `json:"status"`
	ResourceType string         `json:"resource_type"` // CloudFormation type, e.g. AWS::KMS::Key
	ResourceID   string         `json:"resource_id"`   // ARN of the key, policy, user, group or role
	AccountID    string         `json:"account_id"`
	Region       string         `json:"region,omitempty"`
	Reason       string         `json:"reason"`             // one line a person can act on
	Evidence     []string       `json:"evidence,omitempty"` // statements, paths, counterexamples
	Suppressed   *Suppression   `json:"suppressed,omitempty"`

	// Control is the catalogue entry that produced the finding; report
	// writers read remediation and compliance mappings from it.
	Control *Control `json:"-"`
}

// Suppression records why a finding is accepted and until when.
type Suppression struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD
}

// Control is one catalogue entry: what is checked, why, how it maps to the
// frameworks a security team reports against, and how to fix a failure.
type Control struct {
	ID           string         `json:"id"`
	Title        string         `json:"title"`
	Severity     severity.Level `json:"severity"`
	ResourceType string         `json:"resource_type"`
	Mappings     Mappings       `json:"mappings"`
	Rationale    string         `json:"rationale"`
	Remediation  Remediation    `json:"remediation"`
	References   []string       `json:"references,omitempty"`
	// Parameters are the settings of kmsguard.yaml's parameters.<ID> that
	// tune the control.
	Parameters []Parameter `json:"parameters,omitempty"`

	// Check evaluates the control on one account; see CheckFunc.
	Check CheckFunc `json:"-"`
}

// Parameter documents one control parameter of kmsguard.yaml.
type Parameter struct {
	Name        string `json:"name"`
	Default     string `json:"default"`
	Description string `json:"description"`
}

// Mappings are the identifiers of the same requirement in other catalogues.
type Mappings struct {
	SecurityHub []string `json:"security_hub,omitempty"` // e.g. KMS.1
	ConfigRules []string `json:"aws_config_rules,omitempty"`
	Guardrails  []string `json:"guardrails,omitempty"` // e.g. IAM-KMS-3
	Conformity  []string `json:"conformity,omitempty"` // e.g. KMS-007
	CIS         []string `json:"cis,omitempty"`
	NIST80053   []string `json:"nist_800_53_r5,omitempty"`
	PCIDSS      []string `json:"pci_dss,omitempty"`
}

// Remediation tells a person how to fix a failing resource.
type Remediation struct {
	Summary string   `json:"summary"`
	Console []string `json:"console,omitempty"` // numbered console steps
	CLI     []string `json:"cli,omitempty"`     // AWS CLI commands with <placeholders>
}
