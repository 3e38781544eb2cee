package inventory

// SCP target types as organizations list-targets-for-policy reports them.
const (
	TargetRoot    = "ROOT"
	TargetOU      = "ORGANIZATIONAL_UNIT"
	TargetAccount = "ACCOUNT"
)

// SCP is one service control policy with its targets.
type SCP struct {
	ID          string
	ARN         string
	Name        string
	Description string
	AWSManaged  bool
	Document    Document
	// Targets is unknown-safe by construction: an SCP whose targets file
	// failed is not listed; the loader reports the problem and marks the
	// account's SCPs unknown instead.
	Targets []SCPTarget
}

// SCPTarget is one entry of list-targets-for-policy.
type SCPTarget struct {
	ID   string
	ARN  string
	Name string
	Type string // ROOT, ORGANIZATIONAL_UNIT or ACCOUNT
}
