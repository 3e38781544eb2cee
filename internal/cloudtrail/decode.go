package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Decode decodes one raw record (as returned by Scanner or RecordReader).
// Numbers stay json.Number so that rules compare them exactly. The values
// are those encoding/json gives with UseNumber; the decoder is hand-written
// because decoding is the cost of every record a rule might match.
func Decode(raw []byte) (*Record, error) {
	fields, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return &Record{Fields: fields}, nil
}

// DecodeAll decodes every record in data, whatever its shape (see
// RecordReader). It returns the records it could decode, the number of
// events skipped as not CloudTrail records, and every error joined.
func DecodeAll(data []byte) (recs []*Record, skipped int, err error) {
	rr := NewRecordReader(bytes.NewReader(data))
	var errs []error
	for {
		raw, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err)
			var se *SyntaxError
			if errors.As(err, &se) && se.Fatal {
				break
			}
			continue
		}
		rec, err := Decode(raw)
		if err != nil {
			errs = append(errs, &SyntaxError{Offset: rr.Offset(), Line: rr.Line(), Msg: err.Error()})
			continue
		}
		recs = append(recs, rec)
	}
	return recs, rr.Skipped(), errors.Join(errs...)
}
