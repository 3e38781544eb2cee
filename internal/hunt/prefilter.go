package hunt

import (
	"bytes"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
)

// prefilter decides from a record's raw bytes whether any rule could match
// it, so that only candidates are decoded. It reproduces the engine's
// index (detect.Engine.Prefilter): eventSource and eventName compared
// case-insensitively, on the top-level members as Decode reads them (the
// last of duplicates, keys unescaped). It errs only towards decoding: a
// record whose eventName or eventSource cannot be read without decoding
// (absent, not a string, escaped value, malformed record) is a candidate,
// and the engine decides.
type prefilter struct {
	eng     *detect.Engine      // for MayMatchRaw; nil: names only
	all     bool                // a catch-all rule: every record is a candidate
	pairs   map[string][]string // lower eventName -> lower eventSources
	names   map[string]bool     // lower eventName, any source
	sources map[string]bool     // lower eventSource, any name
}

func newPrefilter(pf detect.Prefilter, eng *detect.Engine) *prefilter {
	p := &prefilter{eng: eng, all: pf.CatchAll, pairs: map[string][]string{}, names: map[string]bool{}, sources: map[string]bool{}}
	for _, k := range pf.Pairs {
		n := string(lower(nil, []byte(k.Name)))
		p.pairs[n] = append(p.pairs[n], string(lower(nil, []byte(k.Source))))
	}
	for _, n := range pf.Names {
		p.names[string(lower(nil, []byte(n)))] = true
	}
	for _, s := range pf.Sources {
		p.sources[string(lower(nil, []byte(s)))] = true
	}
	return p
}

// candidate reports whether raw may match a rule: its eventName and
// eventSource are some rule's, and it has the members those rules require
// (detect.Engine.MayMatchRaw). It allocates only for records that pass
// the first test.
func (p *prefilter) candidate(raw []byte) bool {
	if p.all {
		return true
	}
	name, source, ok := cloudtrail.RawNameSource(raw)
	if !ok || name == nil || !plain(name) {
		return true
	}
	if !p.named(name, source) {
		return false
	}
	if source == nil || !plain(source) {
		return true
	}
	return p.eng == nil || p.eng.MayMatchRaw(string(source), string(name), raw)
}

// named reports whether a rule is indexed under the (plain) eventName and
// the eventSource, nil when unreadable.
func (p *prefilter) named(name, source []byte) bool {
	var nb, sb [64]byte
	n := lower(nb[:0], name)
	if p.names[string(n)] {
		return true
	}
	srcs, named := p.pairs[string(n)]
	if !named && len(p.sources) == 0 {
		return false
	}
	if source == nil || !plain(source) {
		return true
	}
	s := lower(sb[:0], source)
	if p.sources[string(s)] {
		return true
	}
	for _, want := range srcs {
		if want == string(s) {
			return true
		}
	}
	return false
}

// plain reports whether a raw JSON string value is its own text: no
// escapes, ASCII only (so ASCII lower-casing is the engine's folding).
func plain(v []byte) bool {
	if bytes.IndexByte(v, '\\') >= 0 {
		return false
	}
	for _, c := range v {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func lower(dst, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
