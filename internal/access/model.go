package access

import (
	"fmt"
	"strings"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// Kind is what sort of principal an answer is about.
type Kind string

// Principal kinds.
const (
	KindUser     Kind = "user"         // an IAM user of the account
	KindRole     Kind = "role"         // an IAM role of the account (and its sessions)
	KindRoot     Kind = "account-root" // the account's root user
	KindExternal Kind = "external"     // a principal of another account named in the key policy or a grant
	KindUnlisted Kind = "unlisted"     // an ARN of this account that is not in its IAM inventory
	KindService  Kind = "service"      // an AWS service principal
	KindAnyone   Kind = "anyone"       // "*": any caller a condition does not exclude
)

// Principal is one caller an answer is about.
type Principal struct {
	ARN     string `json:"arn"` // ARN, service name, or "*"
	Kind    Kind   `json:"kind"`
	Account string `json:"account,omitempty"`
	// Sessions names the role sessions that inherit a role's access
	// (arn:aws:sts::ACCOUNT:assumed-role/NAME/*).
	Sessions string `json:"sessions,omitempty"`
}

// Step is one policy element on a path, named so that a person can find it
// in the console.
type Step struct {
	// Layer is "key policy", "identity policy", "permissions boundary",
	// "SCP", "grant" or "other account".
	Layer string `json:"layer"`
	// Source names the document: "key policy", `inline user policy "X"`,
	// `managed policy ARN`, "SCP p-... (Name)", "grant ID".
	Source string `json:"source"`
	// Statement is the statement's Sid, or #index.
	Statement string `json:"statement,omitempty"`
	// Condition is "" when the step holds unconditionally, else the
	// readable condition it needs (or, for Unless steps, the condition
	// under which its Deny applies).
	Condition string `json:"condition,omitempty"`
}

func (s Step) String() string {
	out := s.Source
	if s.Statement != "" {
		out += " statement " + s.Statement
	}
	if s.Condition != "" {
		out += " [if " + s.Condition + "]"
	}
	return out
}

// Path is one way a principal gets an action: every step must hold, and
// none of the Unless denies may apply.
type Path struct {
	// Via is "key policy (direct)", "key policy + IAM" or "grant".
	Via    string `json:"via"`
	Steps  []Step `json:"steps"`
	Unless []Step `json:"unless,omitempty"`
}

// Unconditional reports whether the path holds whatever the request context.
func (p Path) Unconditional() bool {
	if len(p.Unless) > 0 {
		return false
	}
	for _, s := range p.Steps {
		if s.Condition != "" {
			return false
		}
	}
	return true
}

// Conditions renders what the path needs: "unconditionally" or "only if ...".
func (p Path) Conditions() string {
	var parts []string
	for _, s := range p.Steps {
		if s.Condition != "" {
			parts = append(parts, s.Condition)
		}
	}
	for _, s := range p.Unless {
		parts = append(parts, "not ("+s.Condition+") ["+s.Source+" "+s.Statement+" denies then]")
	}
	if len(parts) == 0 {
		return "unconditionally"
	}
	return "only if " + strings.Join(parts, " and ")
}

func (p Path) String() string {
	steps := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		steps[i] = s.Source
		if s.Statement != "" {
			steps[i] += " " + s.Statement
		}
	}
	return p.Via + ": " + strings.Join(steps, " + ") + ", " + p.Conditions()
}

// Access says that a principal can perform an action on a key, and how.
type Access struct {
	Principal Principal `json:"principal"`
	Action    string    `json:"action"`
	// Paths has every way the access is granted; at least one.
	Paths []Path `json:"paths"`
	// Caveats are facts the answer could not take into account (for
	// example SCPs that were not collected).
	Caveats []string `json:"caveats,omitempty"`
}

// Unconditional reports whether some path holds whatever the context.
func (a Access) Unconditional() bool {
	for _, p := range a.Paths {
		if p.Unconditional() {
			return true
		}
	}
	return false
}

// Unknown is a principal whose access could not be decided, and why.
type Unknown struct {
	Principal Principal `json:"principal"`
	Reason    string    `json:"reason"`
}

// KeyAccess is the answer for one key.
type KeyAccess struct {
	Key     string    `json:"key"`
	Actions []string  `json:"actions"`
	Access  []Access  `json:"access"`
	Unknown []Unknown `json:"unknown,omitempty"`
	// Caveats apply to every answer for the key.
	Caveats []string `json:"caveats,omitempty"`
}

// RenderCondition renders one policy condition for people, for example
// `aws:PrincipalOrgID StringEquals "o-1"` or `kms:ViaService StringLike any of ["a*", "b*"]`.
func RenderCondition(c policy.Condition) string {
	vals := make([]string, len(c.Values))
	for i, v := range c.Values {
		vals[i] = fmt.Sprintf("%q", v)
	}
	v := ""
	switch len(vals) {
	case 0:
		v = "[]"
	case 1:
		v = vals[0]
	default:
		v = "any of [" + strings.Join(vals, ", ") + "]"
	}
	return c.Key + " " + c.Operator + " " + v
}

func renderConditions(cs []policy.Condition) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = RenderCondition(c)
	}
	return strings.Join(parts, " and ")
}
