// Package policy parses AWS IAM identity policies, KMS key policies and
// service control policies into one model and reasons about them exactly.
//
// It answers two kinds of question:
//
//   - Concrete evaluation (Policy.Evaluate): given a principal, an action, a
//     resource ARN and request context keys, AWS's decision for this one
//     document (explicit deny, allow, or implicit deny) and the statements
//     that decided it.
//   - Set questions (Analyzer.AllowsAll, Analyzer.AllowsAny, Analyzer.CoverAction):
//     for one action and a set of resources given as a regular language (for
//     example every KMS key ARN), whether every or any resource in the set is
//     allowed after denies. These are decided exactly with automata over the
//     wildcard patterns of the condition-free part of the policy, and carry a
//     shortest counterexample or witness ARN. Conditions are never dropped:
//     a result is computed as an upper bound (conditional allows count,
//     conditional denies do not) and a lower bound (the reverse), and the
//     verdict says CONDITIONAL when the two differ. Most questions are
//     settled by an exact fast path (one statement's patterns against the
//     universe's own automaton, and the universe's shortest words tested
//     in witness order); the rest by the product automaton of the universe
//     and every pattern.
//
// The package imports nothing else from kmsguard.
package policy
