package remediate

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Result is what applying an action did.
type Result struct {
	Status Status   `json:"status"` // done, already-done, refused, failed
	Detail string   `json:"detail"`
	Called []string `json:"called,omitempty"` // operations sent, in order
}

// Summary counts the results of Apply.
type Summary struct {
	Done, AlreadyDone, Refused, Failed, Manual int
}

// Apply carries out the planned actions of plan in order, re-reading each
// key's state first: an action whose goal already holds is skipped, a
// key-policy write is refused when the live policy differs from the plan's
// "before" or the new policy would lock the key, and a failed call is
// reported while the other actions proceed. It fills each action's Result.
func Apply(ctx context.Context, clients Clients, plan *Plan, opts Options, log *slog.Logger) Summary {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var sum Summary
	for i := range plan.Actions {
		a := &plan.Actions[i]
		switch a.Status {
		case StatusManual:
			sum.Manual++
			continue
		case StatusAlreadyDone:
			a.Result = &Result{Status: StatusAlreadyDone, Detail: a.Reason}
		case StatusRefused:
			a.Result = &Result{Status: StatusRefused, Detail: a.Reason}
		case StatusPlanned:
			if err := ctx.Err(); err != nil {
				a.Result = &Result{Status: StatusFailed, Detail: "not attempted: " + err.Error()}
				break
			}
			c, err := clients(ctx, a.Region)
			if err != nil {
				a.Result = &Result{Status: StatusFailed, Detail: "no KMS client for region " + a.Region + ": " + err.Error()}
				break
			}
			a.Result = applyAction(ctx, c, a, opts)
		}
		level := slog.LevelInfo
		if a.Result.Status == StatusFailed || a.Result.Status == StatusRefused {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "remediation action", "id", a.ID, "kind", a.Kind, "key", a.KeyARN,
			"status", a.Result.Status, "called", strings.Join(a.Result.Called, ","), "detail", a.Result.Detail)
		switch a.Result.Status {
		case StatusDone:
			sum.Done++
		case StatusAlreadyDone:
			sum.AlreadyDone++
		case StatusRefused:
			sum.Refused++
		case StatusFailed:
			sum.Failed++
		}
	}
	return sum
}

func applyAction(ctx context.Context, c KMS, a *Action, opts Options) *Result {
	r := &Result{}
	fail := func(op string, err error) *Result {
		r.Status, r.Detail = StatusFailed, op+": "+err.Error()
		return r
	}
	switch a.Kind {
	case KindCancelDeletion, KindEnableKey:
		info, err := c.DescribeKey(ctx, a.KeyARN)
		if err != nil {
			return fail("DescribeKey", err)
		}
		calls, status, reason := stateCalls(a.Kind, a.KeyARN, info.State, opts.KeepDisabled)
		if status != StatusPlanned {
			r.Status, r.Detail = status, reason
			return r
		}
		// Only calls that were reviewed in the plan are made.
		for _, call := range calls {
			if !slices.ContainsFunc(a.Calls, func(p Call) bool { return p.Operation == call.Operation }) {
				r.Status = StatusRefused
				r.Detail = "the key's state changed since the plan was made (now " + info.State + ", needing " + call.Operation + "); re-run"
				return r
			}
		}
		for _, call := range calls {
			var err error
			if call.Operation == "CancelKeyDeletion" {
				err = c.CancelKeyDeletion(ctx, a.KeyARN)
			} else {
				err = c.EnableKey(ctx, a.KeyARN)
			}
			r.Called = append(r.Called, call.Operation)
			if err != nil {
				return fail(call.Operation, err)
			}
		}
		r.Status, r.Detail = StatusDone, reason
	case KindEnableRotation:
		rot, err := c.GetKeyRotationStatus(ctx, a.KeyARN)
		if err != nil {
			return fail("GetKeyRotationStatus", err)
		}
		if rotationHolds(rot, opts) {
			r.Status, r.Detail = StatusAlreadyDone, fmt.Sprintf("rotation is enabled every %d days", rot.PeriodDays)
			return r
		}
		days := a.Calls[0].RotationPeriodInDays
		r.Called = append(r.Called, "EnableKeyRotation")
		if err := c.EnableKeyRotation(ctx, a.KeyARN, days); err != nil {
			return fail("EnableKeyRotation", err)
		}
		r.Status, r.Detail = StatusDone, fmt.Sprintf("rotation enabled every %d days", days)
	case KindRevokeGrants:
		grants, err := c.ListGrants(ctx, a.KeyARN)
		if err != nil {
			return fail("ListGrants", err)
		}
		var gone []string
		for _, id := range a.Grants {
			if !slices.ContainsFunc(grants, func(g GrantInfo) bool { return g.ID == id }) {
				gone = append(gone, id)
				continue
			}
			r.Called = append(r.Called, "RevokeGrant")
			if err := c.RevokeGrant(ctx, a.KeyARN, id); err != nil {
				return fail("RevokeGrant "+id, err)
			}
		}
		if len(r.Called) == 0 {
			r.Status, r.Detail = StatusAlreadyDone, "the grant(s) no longer exist"
			return r
		}
		r.Status, r.Detail = StatusDone, fmt.Sprintf("revoked %d grant(s)", len(r.Called))
		if len(gone) > 0 {
			r.Detail += "; already gone: " + strings.Join(gone, ", ")
		}
	case KindKeyPolicy:
		return applyPolicy(ctx, c, a, opts)
	}
	return r
}

// applyPolicy writes the planned key policy only if the live policy is
// still the one the plan was made from (optimistic concurrency).
func applyPolicy(ctx context.Context, c KMS, a *Action, opts Options) *Result {
	r := &Result{}
	live, err := c.GetKeyPolicy(ctx, a.KeyARN)
	if err != nil {
		r.Status, r.Detail = StatusFailed, "GetKeyPolicy: "+err.Error()
		return r
	}
	switch {
	case live == a.PolicyAfter:
		r.Status, r.Detail = StatusAlreadyDone, "the live key policy is already the planned one"
		return r
	case live != a.PolicyBefore:
		r.Status, r.Detail = StatusRefused, "policy changed since the plan was made; re-run"
		return r
	}
	arn, _ := parseKeyARN(a.KeyARN)
	if _, err := checkManageable(a.PolicyAfter, arn, opts); err != nil {
		r.Status, r.Detail = StatusRefused, err.Error()
		return r
	}
	r.Called = append(r.Called, "PutKeyPolicy")
	if err := c.PutKeyPolicy(ctx, a.KeyARN, a.PolicyAfter); err != nil {
		r.Status, r.Detail = StatusFailed, "PutKeyPolicy: "+err.Error()
		return r
	}
	r.Status, r.Detail = StatusDone, "key policy replaced"
	return r
}
