//go:build libdeflate && cgo

package source

/*
#cgo LDFLAGS: -ldeflate
#include <libdeflate.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Inflater names the gzip implementation this build uses.
const Inflater = "libdeflate (cgo, whole object)"

type libdeflate struct {
	d *C.struct_libdeflate_decompressor
}

func newWholeInflater() wholeInflater {
	d := C.libdeflate_alloc_decompressor()
	if d == nil {
		return nil // out of memory: stream with the pure-Go reader
	}
	return &libdeflate{d: d}
}

func (l *libdeflate) close() {
	if l.d != nil {
		C.libdeflate_free_decompressor(l.d)
		l.d = nil
	}
}

var errTooLarge = errors.New("inflated content exceeds the whole-object limit")

// inflate decompresses every gzip member of src. The output buffer starts
// at the size the last member's trailer announces (ISIZE, the content
// length mod 2^32) and doubles while libdeflate reports it too small.
func (l *libdeflate) inflate(dst, src []byte, limit int) ([]byte, error) {
	dst = dst[:0]
	if len(src) < 18 {
		return dst, errors.New("truncated gzip")
	}
	hint := int(uint32(src[len(src)-4]) | uint32(src[len(src)-3])<<8 | uint32(src[len(src)-2])<<16 | uint32(src[len(src)-1])<<24)
	if want := min(max(hint, 4*len(src)), limit) + 1; cap(dst) < want {
		dst = make([]byte, 0, want)
	}
	for len(src) > 0 {
		var inUsed, outN C.size_t
		avail := dst[len(dst):cap(dst)]
		if len(avail) == 0 {
			if cap(dst) > limit {
				return dst, errTooLarge
			}
			dst = append(dst[:cap(dst)], make([]byte, cap(dst))...)[:len(dst)]
			continue
		}
		r := C.libdeflate_gzip_decompress_ex(l.d,
			unsafe.Pointer(&src[0]), C.size_t(len(src)),
			unsafe.Pointer(&avail[0]), C.size_t(len(avail)),
			&inUsed, &outN)
		switch r {
		case C.LIBDEFLATE_SUCCESS:
			dst = dst[:len(dst)+int(outN)]
			src = src[int(inUsed):]
			if len(dst) > limit {
				return dst, errTooLarge
			}
		case C.LIBDEFLATE_INSUFFICIENT_SPACE:
			if cap(dst) > limit {
				return dst, errTooLarge
			}
			dst = append(dst[:cap(dst)], make([]byte, cap(dst))...)[:len(dst)]
		default:
			return dst, fmt.Errorf("libdeflate: result %d", int(r))
		}
	}
	return dst, nil
}
