package access

import (
	"sync"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// Options tunes an Analysis.
type Options struct {
	// Authorised marks principals a caller does not want listed by Holders
	// (the configured allowlist). Nil marks none.
	Authorised func(arn string) bool
}

// Analysis holds an account's parsed policies and principal index. Build it
// once with New and ask it about any number of keys; it is safe for
// concurrent use.
type Analysis struct {
	acct      *inventory.Account
	opts      Options
	prins     []*prin
	byARN     map[string]*prin
	groups    []*group
	loners    []*prin // principals never grouped (root, unreadable documents)
	keyIndex  map[*inventory.Key]int
	keyByARN  map[string]int
	dependent map[int][]*prin // key index -> principals with key-dependent statements that may apply to it
	scp       scpSet
	iamErr    *inventory.ReadError
	anyKey    string

	actions  actionCache
	patMu    sync.Mutex
	patterns map[string][]uint64

	mu    sync.Mutex
	slots []keySlot
	lines map[lineKey]string
}

type lineKey struct {
	group   int
	purpose string
	bits    ActionSet
	bitsU   ActionSet
	sig     string // the key's generic key-policy and SCP answer (repLine)
	rep     *prin
}

// prin is one IAM principal of the account (or its root user).
type prin struct {
	Principal
	rp       policy.RequestPrincipal
	ctx      policy.Context
	docs     []*cdoc // identity policies
	boundary *cdoc   // nil without one
	hasBnd   bool
	unknown  []string // why some of its documents could not be read
	baseID   []hit    // identity hits that hold on every key alike
	baseBnd  []hit
	depID    []*cstmt // identity statements to evaluate per key
	depBnd   []*cstmt
	auth     bool
	idx      int // position in Analysis.prins
	group    int // -1: always evaluated alone
}

type group struct {
	idx     int
	kind    Kind
	members []*prin
	nonAuth int // members not in the authorised list
	id, bnd summary
	hasBnd  bool
}

type scpSet struct {
	known  bool
	reason string
	levels [][]*cdoc // per organisation level on the account's path
}

// New parses every policy of the account once and indexes its principals.
// Unreadable or unparsable documents are recorded, never dropped: answers
// that depend on them are Unknown with the reason.
func New(acct *inventory.Account, opts Options) *Analysis {
	an := &Analysis{acct: acct, opts: opts, byARN: map[string]*prin{}, keyIndex: map[*inventory.Key]int{},
		keyByARN: map[string]int{}, dependent: map[int][]*prin{}, patterns: map[string][]uint64{},
		lines: map[lineKey]string{}}
	for i, k := range acct.Keys {
		an.keyIndex[k] = i
		an.keyByARN[k.ARN] = i
	}
	if len(acct.Keys) > 0 {
		an.anyKey = acct.Keys[0].ARN
	}
	an.loadSCPs()
	an.loadPrincipals()
	an.index()
	for _, p := range an.prins {
		if p.group < 0 {
			an.loners = append(an.loners, p)
		}
	}
	return an
}

func parseDoc(src source, doc inventory.Fact[inventory.Document], partition string, cache *actionCache) (*cdoc, string) {
	d, rerr := doc.Get()
	if rerr != nil {
		return nil, src.name + " could not be read: " + rerr.Error()
	}
	pol, err := policy.ParseWith([]byte(d.Text), policy.ParseOptions{Partition: partition})
	if err != nil {
		return nil, src.name + " does not parse: " + err.Error()
	}
	return compileDoc(src, pol, cache), ""
}

func (an *Analysis) loadSCPs() {
	scps, rerr := an.acct.ApplicableSCPs().Get()
	if rerr != nil {
		an.scp = scpSet{reason: "SCPs not taken into account (" + rerr.Error() + "): an SCP may still deny this"}
		return
	}
	an.scp.known = true
	onPath := map[string]bool{an.acct.ID: true}
	if path, err := an.acct.OUPath.Get(); err == nil {
		for _, n := range path {
			onPath[n.ID] = true
		}
	}
	levels := map[string][]*cdoc{}
	var order []string
	for _, s := range scps {
		d, why := parseDoc(source{"SCP", "SCP " + s.ID + " (" + s.Name + ")"}, inventory.Known(s.Document), an.acct.Partition, &an.actions)
		if d == nil {
			an.scp = scpSet{reason: why}
			return
		}
		for _, t := range s.Targets {
			if t.Type == inventory.TargetRoot || onPath[t.ID] {
				if _, ok := levels[t.ID]; !ok {
					order = append(order, t.ID)
				}
				levels[t.ID] = append(levels[t.ID], d)
			}
		}
	}
	for _, id := range order {
		an.scp.levels = append(an.scp.levels, levels[id])
	}
}
