package hunt

import (
	"bytes"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
)

// prefilter decides from a record's raw bytes whether any rule could match
// it, so that only candidates are decoded. It reproduces the engine's
// index (detect.Engine.Prefilter): eventSource and eventName compared
// case-insensitively. It errs only towards decoding: a record whose
// top-level eventName or eventSource cannot be read without decoding
// (absent, not a string, escaped) is a candidate, and the engine decides.
type prefilter struct {
	all     bool                // a catch-all rule: every record is a candidate
	pairs   map[string][]string // lower eventName -> lower eventSources
	names   map[string]bool     // lower eventName, any source
	sources map[string]bool     // lower eventSource, any name
	// The member names from their second byte, with the closing quote
	// ("ventName\""): a pattern whose first byte is common in JSON is
	// slow to search for (see BENCHMARKS.md).
	nameTail, sourceTail []byte
}

func newPrefilter(pf detect.Prefilter) *prefilter {
	p := &prefilter{all: pf.CatchAll, pairs: map[string][]string{}, names: map[string]bool{}, sources: map[string]bool{},
		nameTail: []byte(`ventName"`), sourceTail: []byte(`ventSource"`)}
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

// candidate reports whether raw may match a rule. It does not allocate.
func (p *prefilter) candidate(raw []byte) bool {
	if p.all {
		return true
	}
	var nb, sb [64]byte
	name, ok := lastMember(raw, "eventName", p.nameTail)
	if !ok {
		return true
	}
	n := lower(nb[:0], name)
	if p.names[string(n)] {
		return true
	}
	srcs, named := p.pairs[string(n)]
	if !named && len(p.sources) == 0 {
		return false
	}
	source, ok := lastMember(raw, "eventSource", p.sourceTail)
	if !ok {
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

// lastMember returns the plain value of the top-level string member key,
// when no later member could carry the same name: Decode, like
// encoding/json, keeps the last of duplicate members, and a later name
// could be spelt with \u escapes. ok is false when that cannot be ruled
// out by a byte search of the rest of the record (the caller decodes).
func lastMember(raw []byte, key string, tail []byte) ([]byte, bool) {
	v, ok := cloudtrail.RawString(raw, key)
	if !ok || !plain(v) {
		return nil, false
	}
	rest := raw[cap(raw)-cap(v)+len(v):] // v aliases raw
	if bytes.Contains(rest, tail) || (bytes.IndexByte(rest, '\\') >= 0 && bytes.Contains(rest, []byte(`\u`))) {
		return nil, false
	}
	return v, true
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
