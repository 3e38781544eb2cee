//go:build !libdeflate || !cgo

package source

// Inflater names the gzip implementation this build uses.
const Inflater = "klauspost/compress (pure Go, streaming)"

func newWholeInflater() wholeInflater { return nil }
