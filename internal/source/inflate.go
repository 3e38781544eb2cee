package source

// wholeInflater inflates a complete gzip object (every member) in one
// call. The default build has none and streams every object through
// klauspost/compress; the libdeflate build (go build -tags libdeflate,
// cgo and Debian's libdeflate-dev) uses libdeflate, about twice as fast,
// for objects up to maxWholeCompressed bytes. CloudTrail log files are
// small (tens of KB gzipped), so holding one per worker costs little.
type wholeInflater interface {
	// inflate appends the content of gzip data src to dst. It fails on
	// corrupt data or when the content would exceed limit bytes.
	inflate(dst, src []byte, limit int) ([]byte, error)
	close()
}

// Objects larger than this, or whose content exceeds maxWholeOutput, are
// streamed instead, so memory stays bounded whatever the input.
const (
	maxWholeCompressed = 16 << 20
	maxWholeOutput     = 128 << 20
)
