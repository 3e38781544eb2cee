package policy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// diffResources adds to the property test's fragments the cases the fast
// path must hand over to the machine or decide with care: unions that
// cover the keys only together, one key, policy variables, '?', other
// partitions and characters no key holds.
var diffResources = append(append([]string{}, propResources...),
	"arn:aws:kms:*:*:key/0*", "arn:aws:kms:*:*:key/1*", "arn:aws:kms:*:*:key/????????-????-????-????-????????????",
	oneKey, "arn:aws:kms:us-east-1:111122223333:key/${aws:username}", "arn:aws:kms:*:${aws:PrincipalAccount}:key/*",
	"arn:aws:kms:??-*", "arn:*:kms:*", "*:key/*", "arn:aws:kms:*:*:key/*-?", "arn:aws:kms:a-a-0:*",
	"arn:aws:kms:*:000000000000:key/*", "arn:aws:kms:*:*:key/00000000-*", "arn:aws:kms:*0:*", "*é*", "arn:aws:kms:*:*:*/*",
)

func diffStatement(r *rand.Rand) string {
	pick := func(pool []string, n int) string {
		var out []string
		for range n {
			out = append(out, fmt.Sprintf("%q", pool[r.IntN(len(pool))]))
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	effect := "Allow"
	if r.IntN(3) == 0 {
		effect = "Deny"
	}
	action := `"Action"`
	if r.IntN(6) == 0 {
		action = `"NotAction"`
	}
	resource := `"Resource"`
	if r.IntN(4) == 0 {
		resource = `"NotResource"`
	}
	elems := pick(diffResources, 1+r.IntN(3))
	if r.IntN(12) == 0 {
		elems = hexPrefixes("0123456789abcdef"[:8+r.IntN(9)], r.IntN(2) == 0)
	}
	s := fmt.Sprintf(`{"Effect":%q,%s:%s,%s:%s`, effect, action, pick(propActions, 1+r.IntN(2)), resource, elems)
	if r.IntN(15) == 0 {
		s = fmt.Sprintf(`{"Effect":%q,%s:%s`, effect, action, pick(propActions, 1)) // no resource element
	}
	if r.IntN(4) == 0 {
		s += `,"Condition":{"StringEquals":{"kms:ViaService":"s3.amazonaws.com"}}`
	}
	return s + "}"
}

// TestFastPathMatchesMachine asks every question twice, with the fast
// path and with the machine alone, and requires the same answer: verdict,
// bounds, witness, its meaning and statements, evidence. The only
// difference allowed is a decided answer where the machine's state cap
// made it UNKNOWN.
func TestFastPathMatchesMachine(t *testing.T) {
	var docs []string
	for _, c := range kms1Cases() {
		if c.wantErr == "" {
			docs = append(docs, c.policy)
		}
	}
	docs = append(docs, typicalPolicy)
	r := rand.New(rand.NewPCG(7, 11))
	n := 2000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		var stmts []string
		for range 1 + r.IntN(5) {
			if i%2 == 0 {
				stmts = append(stmts, randomStatement(r))
			} else {
				stmts = append(stmts, diffStatement(r))
			}
		}
		docs = append(docs, doc(stmts...))
	}
	universes := []Universe{
		KMSKeys("aws"), KMSKeysOutside("aws", []string{"111122223333"}), KMSKeys(""),
		GlobUniverse("every key of account 111122223333", []string{"arn:aws:kms:?*-?*:111122223333:key/?*"}, false),
		KMSKeysOutside("aws-cn", []string{"111122223333", "444455556666"}),
		GlobUniverse("every string", []string{"*"}, false),
		GlobUniverse("short kms strings", []string{"arn:aws:kms:?", "arn:aws:kms:*0", "*é"}, false),
	}
	fast, slow := NewAnalyzer(0), NewAnalyzer(0)
	slow.noFast = true
	asked, decidedUnknown := 0, 0
	compare := func(i int, d string, p *Policy, action, example string, applies func(int) bool, u Universe, question string) {
		t.Helper()
		want := slow.askFor(p, example, applies, u, question)
		got := fast.askFor(p, example, applies, u, question)
		asked++
		if want.Verdict == Unknown {
			if got.Verdict != Unknown {
				decidedUnknown++
				if decidedUnknown == 1 {
					t.Logf("the machine's UNKNOWN decided by the fast path (%s): %s %s over %s: %s",
						want.Reason, question, example, u.Name(), d)
				}
			}
			return // the machine's state cap: the fast path may decide
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("policy %d %s\n%s %s (%s) over %s: fast path differs (-machine +fast):\n%s", i, d, question, action, example, u.Name(), diff)
		}
	}
	for i, d := range docs {
		p := mustParse(t, d)
		for ui, u := range universes {
			// The machine is slow over the glob universe and for
			// patterns: ask those of some policies only.
			if ui == 1 && i%2 != 0 || ui == 2 && i%4 != 0 || ui >= 3 && i%25 != ui {
				continue
			}
			for _, question := range []string{"all", "any"} {
				compare(i, d, p, "kms:Decrypt", "kms:Decrypt", func(j int) bool { return p.Statements[j].MatchesAction("kms:Decrypt") }, u, question)
				if ui == 0 && i%3 == 0 {
					// A pattern is answered per action class.
					classes, ok := slow.actionClasses(p, "kms:De*")
					if !ok {
						t.Fatalf("policy %d: action classes too large", i)
					}
					for _, c := range classes {
						compare(i, d, p, "kms:De*", c.example, func(j int) bool { return c.applies[j] }, u, question)
					}
				}
			}
		}
	}
	// The comparison means something only if the fast path answered
	// most questions itself.
	if fast.fastAnswers*2 < fast.fastAsked {
		t.Errorf("the fast path answered %d of %d questions", fast.fastAnswers, fast.fastAsked)
	}
	t.Logf("%d questions, %d answered by the fast path, %d that the machine left UNKNOWN", asked, fast.fastAnswers, decidedUnknown)
}

// TestFastPathHandsOverUnions: a union of statements that covers the keys
// only together is not the fast path's to prove; the machine answers it,
// and the answer is the same either way.
func TestFastPathHandsOverUnions(t *testing.T) {
	var stmts []string
	for _, d := range "0123456789abcdef" {
		stmts = append(stmts, allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:key/`+string(d)+`*"`))
	}
	stmts = append(stmts, allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:key/mrk-*"`))
	p := mustParse(t, doc(stmts...))
	an := NewAnalyzer(0)
	got, err := an.AllowsAll(p, "kms:Decrypt", KMSKeys("aws"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != Yes || an.fastAnswers != 0 {
		t.Errorf("verdict %s, fast answers %d; want YES from the machine", got.Verdict, an.fastAnswers)
	}
	// The same patterns in ONE statement are one language: the fast path
	// proves it by simulating the union.
	p = mustParse(t, doc(allow(`"kms:Decrypt"`, hexPrefixes("0123456789abcdef", true))))
	an = NewAnalyzer(0)
	if got, _ = an.AllowsAll(p, "kms:Decrypt", KMSKeys("aws")); got.Verdict != Yes || an.fastAnswers != 1 {
		t.Errorf("verdict %s, fast answers %d; want YES from the fast path", got.Verdict, an.fastAnswers)
	}
}

// FuzzUniverseRelations checks the fast path's two primitives, "U ⊆ L"
// and "U ∩ L = ∅" for a universe U and a pattern L, against brute force
// on every short word over the characters involved (plus one character
// neither mentions, which stands for all the others), and against the
// machine, which decides them exactly by another construction.
func FuzzUniverseRelations(f *testing.F) {
	f.Add("arn:?*-?*:1:key/?*", "arn:*:1:*")
	f.Add("a?b*", "a*")
	f.Add("ab", "a?")
	f.Add("*", "?*")
	f.Add("a*b", "*ab*b")
	f.Add("x?", "é*")
	f.Add("??", "?a")
	f.Fuzz(func(t *testing.T, universe, pattern string) {
		if !utf8.ValidString(universe) || !utf8.ValidString(pattern) ||
			utf8.RuneCountInString(universe) > 8 || utf8.RuneCountInString(pattern) > 8 {
			return
		}
		u := GlobUniverse("u", []string{universe}, false)
		ud := buildUniDFA(u, 2000)
		if ud == nil {
			t.Fatalf("no automaton for the universe %q", universe)
		}
		g := compileGlob(pattern, false)
		ts := make([]simTok, len(g))
		for i, t := range g {
			ts[i] = simTok{kind: t.kind, r: t.r}
		}
		sim, ok := newGlobSim([][]simTok{ts})
		if !ok {
			t.Fatalf("pattern %q too long", pattern)
		}
		covers, d1 := ud.relate(sim, true, 1<<20)
		disjoint, d2 := ud.relate(sim, false, 1<<20)
		if !d1 || !d2 {
			t.Fatalf("undecided for %q and %q", universe, pattern)
		}
		// Brute force: words up to 6 characters.
		alpha := []rune(universe + pattern + "ΩЖ")
		slices.Sort(alpha)
		alpha = slices.Compact(alpha)
		ug := compileGlob(universe, false)
		var walk func(w []rune)
		walk = func(w []rune) {
			if ug.matchRunes(w) {
				in := g.matchRunes(w)
				if covers && !in {
					t.Fatalf("U=%q ⊆ L=%q claimed, but %q is in U only", universe, pattern, string(w))
				}
				if disjoint && in {
					t.Fatalf("U=%q ∩ L=%q = ∅ claimed, but %q is in both", universe, pattern, string(w))
				}
			}
			if len(w) == 6 {
				return
			}
			for _, r := range alpha {
				walk(append(w, r))
			}
		}
		if len(alpha) <= 5 {
			walk(nil)
		}
		// The machine, through a one-statement policy.
		p := &Policy{Statements: []Statement{{Effect: Allow, Actions: []string{"*"}, Resources: []string{pattern}, HasResource: true}}}
		an := NewAnalyzer(0)
		an.noFast = true
		all, _ := an.AllowsAll(p, "kms:Decrypt", u)
		some, _ := an.AllowsAny(p, "kms:Decrypt", u)
		if all.Verdict != Unknown && all.UpperBound != covers {
			t.Fatalf("U=%q ⊆ L=%q: fast %v, machine %v", universe, pattern, covers, all.UpperBound)
		}
		if some.Verdict != Unknown && some.UpperBound == disjoint {
			t.Fatalf("U=%q ∩ L=%q = ∅: fast %v, machine says some word is in both: %v", universe, pattern, disjoint, some.UpperBound)
		}
	})
}
