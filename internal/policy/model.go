package policy

import "strconv"

// Policy versions. Policy variables such as ${aws:username} are only
// substituted under Version2012; under Version2008 or with no Version they are
// literal text.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed policy document: an IAM identity policy, a KMS key
// policy, a service control policy or a trust policy.
type Policy struct {
	Version    string      // "2012-10-17", "2008-10-17" or "" when absent
	ID         string      // the optional Id element
	Statements []Statement // in document order; may be empty
}

// VariablesEnabled reports whether ${...} in Resource and condition values
// are policy variables (Version 2012-10-17) rather than literal text.
func (p *Policy) VariablesEnabled() bool { return p.Version == Version2012 }

// Effect is a statement's Effect: exactly "Allow" or "Deny".
type Effect string

// The two effects AWS accepts.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Statement is one statement of a policy, normalised: every element that
// may be a string or a list is a list here.
type Statement struct {
	Index  int    // position in the document, from 0
	Sid    string // optional
	Effect Effect

	// Actions holds the Action patterns, or the NotAction patterns when
	// NotAction is true. Patterns are matched case-insensitively.
	Actions   []string
	NotAction bool

	// Resources holds the Resource patterns, or the NotResource patterns
	// when NotResource is true. HasResource is false when the statement has
	// neither element (trust policies); such a statement matches any resource.
	Resources   []string
	NotResource bool
	HasResource bool

	// Principals is the Principal element, or NotPrincipal when NotPrincipal
	// is true; nil when the statement has neither (identity policies).
	Principals   *Principals
	NotPrincipal bool

	// Conditions is the Condition block, one entry per operator and key,
	// in document order. All must hold for the statement to apply.
	Conditions []Condition
}

// Ref names the statement for people: its Sid, or "#<index>" without one.
func (st *Statement) Ref() string {
	if st.Sid != "" {
		return st.Sid
	}
	return "#" + strconv.Itoa(st.Index)
}

// Conditional reports whether the statement has a Condition block, so that
// whether it applies depends on the request context.
func (st *Statement) Conditional() bool { return len(st.Conditions) > 0 }

// Principals is a Principal or NotPrincipal element. Account-id shorthand
// ("111122223333") is expanded to the account root ARN at parse time.
type Principals struct {
	Wildcard      bool     // "*" or {"AWS": "*"}
	AWS           []string // ARNs (account roots, users, roles, sessions)
	Service       []string // e.g. "kms.amazonaws.com"
	Federated     []string // e.g. "cognito-identity.amazonaws.com" or a SAML provider ARN
	CanonicalUser []string
}

// SetQualifier is the set operator prefix of a condition operator.
type SetQualifier string

// Set qualifiers. SetNone means a single-valued comparison.
const (
	SetNone         SetQualifier = ""
	SetForAllValues SetQualifier = "ForAllValues"
	SetForAnyValue  SetQualifier = "ForAnyValue"
)

// Condition is one operator applied to one condition key, for example
// "StringEqualsIfExists": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}.
type Condition struct {
	Operator string       // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Base     string       // the operator without qualifier and suffix, e.g. "StringLike"
	Set      SetQualifier // ForAllValues:, ForAnyValue: or none
	IfExists bool         // the ...IfExists suffix
	Key      string       // the condition key as written; compared case-insensitively
	Values   []string     // the policy values; booleans and numbers as their JSON text
}
