package policy

import "math/bits"

// setTable interns fixed-width bit sets (sets of NFA states). The sets
// live back to back in one arena and are found through an
// open-addressing hash table, so that interning a state costs no
// allocation per set and no string conversion: the determinisation
// interns thousands of sets per question, and a map[string] keyed by the
// set's bytes made that the dominant cost of a question about an unseen
// policy.
type setTable struct {
	words int      // uint64 words per set
	arena []uint64 // set i is arena[i*words : (i+1)*words]
	vals  []int32  // value per set
	slots []int32  // 0 is empty, else set index + 1
}

func newSetTable(words, capacity int) setTable {
	n := 64
	for n < 2*capacity {
		n *= 2
	}
	return setTable{
		words: words,
		arena: make([]uint64, 0, capacity*words),
		vals:  make([]int32, 0, capacity),
		slots: make([]int32, n),
	}
}

func (t *setTable) len() int { return len(t.vals) }

// set returns set i. The slice is valid until the next add.
func (t *setTable) set(i int32) []uint64 {
	return t.arena[int(i)*t.words : int(i+1)*t.words]
}

func hashSet(b []uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, w := range b {
		h = bits.RotateLeft64((h^w)*0xbf58476d1ce4e5b9, 31)
	}
	return h ^ h>>29
}

// find returns the value stored for b.
func (t *setTable) find(b []uint64) (int32, bool) {
	mask := uint64(len(t.slots) - 1)
	for i := hashSet(b) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if equalWords(t.set(s-1), b) {
			return t.vals[s-1], true
		}
	}
}

// add stores a copy of b (which must not be present) with value v.
func (t *setTable) add(b []uint64, v int32) {
	if 2*(len(t.vals)+1) > len(t.slots) {
		t.grow()
	}
	t.arena = append(t.arena, b...)
	t.vals = append(t.vals, v)
	t.place(int32(len(t.vals)))
}

func (t *setTable) place(s int32) {
	mask := uint64(len(t.slots) - 1)
	i := hashSet(t.set(s-1)) & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func (t *setTable) grow() {
	t.slots = make([]int32, 2*len(t.slots))
	for s := range int32(len(t.vals)) {
		t.place(s + 1)
	}
}

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
