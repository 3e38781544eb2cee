package hunt

import (
	"bytes"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
)

// prefilter decides from a record's raw bytes whether any rule could match
// it, so that only candidates are decoded. It reads the top-level
// eventName and eventSource as Decode would (cloudtrail.RawNameSource: the
// last of duplicates, keys unescaped) and leaves the rest to the engine's
// own index and raw checks (detect.Engine.MayMatchRaw). It errs only
// towards decoding: a record whose eventName cannot be read without
// decoding (absent, not a string, escaped value, malformed record) is a
// candidate, and an eventSource that cannot be is treated as unknown.
type prefilter struct {
	eng *detect.Engine // nil only with all
	all bool           // a catch-all rule: every record is a candidate
}

func newPrefilter(eng *detect.Engine) *prefilter {
	return &prefilter{eng: eng, all: eng == nil || eng.Prefilter().CatchAll}
}

// candidate reports whether raw may match a rule. It does not allocate.
func (p *prefilter) candidate(raw []byte) bool {
	if p.all {
		return true
	}
	name, source, ok := cloudtrail.RawNameSource(raw)
	if !ok || name == nil || !plain(name) {
		return true
	}
	if source != nil && !plain(source) {
		source = nil
	}
	return p.eng.MayMatchRaw(source, name, raw)
}

// plain reports whether a raw JSON string value is its own text: no
// escapes, ASCII only (so that the index's ASCII case folding is the
// engine's).
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
