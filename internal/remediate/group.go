package remediate

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/config"
)

// group is the issues one action will fix.
type group struct {
	kind   Kind
	key    string
	edits  []Edit
	issues []Issue
}

// groupIssues maps issues to actions: one action per key and kind (all
// policy edits of a key go into one PutKeyPolicy, so they cannot race each
// other), a cancelled deletion re-enables the key so it absorbs enable-key,
// and unsupported issues become manual actions.
func groupIssues(issues []Issue) []*group {
	fixes, alertFixes, ruleFixes := ControlFixes(), AlertFixes(), AlertRuleFixes()
	var groups []*group
	find := func(kind Kind, key string) *group {
		for _, g := range groups {
			if g.kind == kind && g.key == key {
				return g
			}
		}
		g := &group{kind: kind, key: key}
		groups = append(groups, g)
		return g
	}
	for _, is := range issues {
		fix, ok := fixFor(is, fixes, alertFixes, ruleFixes)
		if !ok || !isKeyARN(is.ResourceID) {
			g := &group{kind: KindManual, key: is.ResourceID, issues: []Issue{is}}
			groups = append(groups, g)
			continue
		}
		g := find(fix.Kind, is.ResourceID)
		g.issues = append(g.issues, is)
		for _, e := range fix.Edits {
			if !slices.Contains(g.edits, e) {
				g.edits = append(g.edits, e)
			}
		}
	}
	// A cancelled deletion re-enables the key: merge enable-key into it.
	kept := groups[:0]
	for _, g := range groups {
		if g.kind == KindEnableKey {
			if c := findGroup(groups, KindCancelDeletion, g.key); c != nil {
				c.issues = append(c.issues, g.issues...)
				continue
			}
		}
		kept = append(kept, g)
	}
	slices.SortStableFunc(kept, func(a, b *group) int {
		if (a.kind == KindManual) != (b.kind == KindManual) {
			if a.kind == KindManual {
				return 1
			}
			return -1
		}
		return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(kindRank(a.kind), kindRank(b.kind)))
	})
	return kept
}

// fixFor looks an issue up in the tables: alerts by rule id, then by event
// name; findings by control id.
func fixFor(is Issue, fixes, alertFixes, ruleFixes map[string]Fix) (Fix, bool) {
	if is.Source != "alert" {
		f, ok := fixes[is.ControlID]
		return f, ok
	}
	if f, ok := ruleFixes[is.RuleID]; ok {
		return f, true
	}
	f, ok := alertFixes[is.EventName]
	return f, ok
}

// splitDeletionProtection takes the deletion-protection edit out of a
// key-policy group when no break-glass principal is configured, so that it
// is refused on its own and the key's other policy fixes still go ahead.
func splitDeletionProtection(g *group, cfg *config.Config) (refused []Issue) {
	if g.kind != KindKeyPolicy || !slices.Contains(g.edits, EditAddDeletionProtection) || len(cfg.Allowlist.BreakGlass) > 0 {
		return nil
	}
	fixes, alertFixes, ruleFixes := ControlFixes(), AlertFixes(), AlertRuleFixes()
	var kept []Issue
	for _, is := range g.issues {
		if f, _ := fixFor(is, fixes, alertFixes, ruleFixes); slices.Equal(f.Edits, []Edit{EditAddDeletionProtection}) {
			refused = append(refused, is)
		} else {
			kept = append(kept, is)
		}
	}
	g.issues = kept
	g.edits = slices.DeleteFunc(g.edits, func(e Edit) bool { return e == EditAddDeletionProtection })
	return refused
}

func findGroup(groups []*group, kind Kind, key string) *group {
	for _, g := range groups {
		if g.kind == kind && g.key == key {
			return g
		}
	}
	return nil
}
