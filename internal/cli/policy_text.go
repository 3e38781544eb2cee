package cli

import (
	"fmt"
	"io"
	"strings"
)

// writeCheckText renders the result of `policy check` for people.
func writeCheckText(w io.Writer, r checkResult) error {
	var b strings.Builder
	version := r.Version
	if version == "" {
		version = "none (policy variables are literal text)"
	}
	fmt.Fprintf(&b, "Policy %s: Version %s, %d statement(s)\n", r.Source, version, len(r.Statements))
	for _, s := range r.Statements {
		act, res := "Action", "Resource"
		if s.NotAction {
			act = "NotAction"
		}
		if s.NotResource {
			res = "NotResource"
		}
		fmt.Fprintf(&b, "  %s: %s %s %s", s.Ref, s.Effect, act, strings.Join(s.Actions, " "))
		if len(s.Resources) > 0 || s.NotResource {
			fmt.Fprintf(&b, "; %s %s", res, strings.Join(s.Resources, " "))
		}
		if s.Principal != "" {
			fmt.Fprintf(&b, "; Principal %s", s.Principal)
		}
		if len(s.Conditions) > 0 {
			fmt.Fprintf(&b, "; if %s", strings.Join(s.Conditions, " and "))
		}
		b.WriteByte('\n')
	}
	for _, ba := range r.BlockedActions {
		fmt.Fprintf(&b, "\n%s\n", ba.Action)
		a := ba.AllKeys
		kms1 := "PASS"
		if a.UpperBound {
			kms1 = "FAIL"
		}
		if strings.EqualFold(ba.Action, "kms:Decrypt") || strings.EqualFold(ba.Action, "kms:ReEncryptFrom") {
			kms1 = "KMS.1/KMS.2 " + kms1
		}
		fmt.Fprintf(&b, "  allowed on %s: %s (upper bound %s, lower bound %s) -> %s\n",
			a.Universe, a.Verdict, yesNo(a.UpperBound), yesNo(a.LowerBound), kms1)
		if a.ExampleAction != "" && !strings.EqualFold(a.ExampleAction, ba.Action) {
			fmt.Fprintf(&b, "    for the action %s (the strongest answer over the actions matching %s)\n", a.ExampleAction, ba.Action)
		}
		writeAnswerDetail(&b, a)
		if o := ba.OutsideTrusted; o != nil {
			fmt.Fprintf(&b, "  allowed on some key %s: %s (upper bound %s, lower bound %s)\n",
				strings.TrimPrefix(o.Universe, "all KMS keys "), o.Verdict, yesNo(o.UpperBound), yesNo(o.LowerBound))
			writeAnswerDetail(&b, *o)
		}
		if len(ba.Statements) == 0 {
			fmt.Fprintf(&b, "  no statement's action element covers %s\n", ba.Action)
		}
		for _, s := range ba.Statements {
			fmt.Fprintf(&b, "  statement %s (%s%s) covers %s: %s\n", s.Ref, s.Effect, conditionalNote(s.evidenceJSON), ba.Action, s.Coverage)
		}
	}
	if q := r.Request; q != nil {
		who := q.Principal
		if who == "" {
			who = "(no principal)"
		}
		fmt.Fprintf(&b, "\nRequest %s on %s by %s: %s", q.Action, q.Resource, who, q.Decision)
		if q.Decision == "allow" && q.Match == "via_account" {
			b.WriteString(" (through the account: the caller's IAM policies must allow it too)")
		}
		b.WriteByte('\n')
		for _, s := range q.Statements {
			mark := " "
			if s.Applies {
				mark = "*"
			}
			fmt.Fprintf(&b, "  %s %s (%s): %s\n", mark, s.Ref, s.Effect, s.Reason)
		}
	}
	verdict := "no blocked action is allowed on all keys"
	if r.Fails {
		verdict = "FAIL: a blocked action is allowed on all keys or outside the trusted accounts"
	}
	fmt.Fprintf(&b, "\nResult: %s\n", verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeAnswerDetail(b *strings.Builder, a answerJSON) {
	if a.Reason != "" {
		fmt.Fprintf(b, "    %s\n", a.Reason)
	}
	if a.Witness != "" {
		fmt.Fprintf(b, "    %s: %s\n", a.WitnessMeaning, a.Witness)
		covering := refList(a.WitnessStatements)
		if len(a.WitnessStatements) == 0 {
			covering = "none (no statement for the action applies to it)"
		}
		fmt.Fprintf(b, "    statements covering it: %s\n", covering)
	}
	if len(a.Allows)+len(a.Denies) > 0 {
		fmt.Fprintf(b, "    allows for %s: %s; denies: %s\n", a.ExampleAction, refList(a.Allows), refList(a.Denies))
	}
}

func refList(evs []evidenceJSON) string {
	if len(evs) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(evs))
	for _, e := range evs {
		parts = append(parts, e.Ref+" ("+e.Effect+conditionalNote(e)+")")
	}
	return strings.Join(parts, ", ")
}

func conditionalNote(e evidenceJSON) string {
	note := ""
	if e.Conditional {
		note += ", conditional"
	}
	if e.Variables {
		note += ", policy variables"
	}
	return note
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
