package policy

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestSetTable interns many random sets (forcing the table to grow and
// probes to collide) and checks every one is found with its value and
// that absent sets are not.
func TestSetTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const words = 3
	tab := newSetTable(words, 4)
	want := map[[words]uint64]int32{}
	for i := range 5000 {
		var k [words]uint64
		for w := range k {
			k[w] = rng.Uint64() & 0xff0f // few bits: many near-duplicates
		}
		if _, dup := want[k]; dup {
			if _, ok := tab.find(k[:]); !ok {
				t.Fatalf("set %v added before is not found", k)
			}
			continue
		}
		if _, ok := tab.find(k[:]); ok {
			t.Fatalf("set %v found before it was added", k)
		}
		tab.add(k[:], int32(i))
		want[k] = int32(i)
	}
	for k, v := range want {
		got, ok := tab.find(k[:])
		if !ok || got != v {
			t.Fatalf("find(%v) = %d, %v; want %d, true", k, got, ok, v)
		}
	}
	if tab.len() != len(want) {
		t.Fatalf("len = %d, want %d", tab.len(), len(want))
	}
}

// TestSuccessorsMatchEveryClass checks the shortcut in successors (one
// step per class whose NFA successor rows differ) against stepping every
// class, for every state explored while answering KMS.1 on the KMS.1
// table and the benchmark policy.
func TestSuccessorsMatchEveryClass(t *testing.T) {
	docs := []string{typicalPolicy}
	for _, c := range kms1Cases() {
		if c.wantErr == "" {
			docs = append(docs, c.policy)
		}
	}
	for i, d := range docs {
		p, err := Parse([]byte(d))
		if err != nil {
			t.Fatalf("policy %d: %v", i, err)
		}
		an := NewAnalyzer(0)
		if _, err := an.AllowsAll(p, "kms:Decrypt", KMSKeys("aws")); err != nil {
			t.Fatalf("policy %d: %v", i, err)
		}
		for _, m := range an.cache {
			for s := range int32(m.sets.len()) {
				if !m.adjDone[s] {
					continue
				}
				if diff := cmp.Diff(everyClass(m, s), slices.Clone(m.adj[s]), cmp.AllowUnexported(adjEdge{}), cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("policy %d, state %d: successors differ from stepping every class (-every +got):\n%s", i, s, diff)
				}
			}
		}
	}
}

// everyClass is the successor list computed the slow way.
func everyClass(m *machine, d int32) []adjEdge {
	var out []adjEdge
	classes := m.universeClasses(d)
	for _, c := range m.order {
		if c < 64 && classes&(1<<c) == 0 {
			continue
		}
		to := m.step(d, c)
		if !m.liveState[to] || slices.ContainsFunc(out, func(e adjEdge) bool { return e.to == to }) {
			continue
		}
		out = append(out, adjEdge{to: to, class: c})
	}
	return out
}
