package cloudtrail

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// RecordReader returns raw CloudTrail records from any delivery format,
// detected per value: log files ({"Records":[...]}), one record per line,
// EventBridge events (one, or an array), CloudWatch Logs subscription
// payloads (as Lambda receives them, {"awslogs":{"data":...}}; as Firehose
// writes them, gzip of concatenated messages; decoded), Lambda events from a
// Kinesis stream carrying such payloads ({"Records":[{"kinesis":{"data":...}}]})
// and `aws cloudtrail lookup-events` output. Records inside log files and plain records are
// returned without decoding; envelopes are decoded to unwrap them (they are
// rare and small next to log files).
type RecordReader struct {
	sc      Scanner
	queue   [][]byte
	skipped int
	off     int64
	line    int
}

// NewRecordReader returns a RecordReader reading r.
func NewRecordReader(r io.Reader) *RecordReader {
	rr := &RecordReader{}
	rr.Reset(r)
	return rr
}

// Reset makes rr read r from the beginning, keeping its buffers.
func (rr *RecordReader) Reset(r io.Reader) {
	rr.sc.Reset(r)
	rr.queue = rr.queue[:0]
	rr.skipped = 0
}

// ResetBytes makes rr read data, in place (see Scanner.ResetBytes).
func (rr *RecordReader) ResetBytes(data []byte) {
	rr.sc.ResetBytes(data)
	rr.queue = rr.queue[:0]
	rr.skipped = 0
}

// Offset returns the byte offset of the last record, or of the envelope
// that carried it.
func (rr *RecordReader) Offset() int64 { return rr.off }

// Line returns the 1-based line of the last record or its envelope.
func (rr *RecordReader) Line() int { return rr.line }

// Skipped returns how many events so far were not CloudTrail records
// (other EventBridge detail types, CloudWatch Logs control messages).
func (rr *RecordReader) Skipped() int { return rr.skipped }

// Next returns the raw bytes of the next record, valid until the next call,
// or io.EOF. Errors are *SyntaxError; unless Fatal, call Next again.
func (rr *RecordReader) Next() ([]byte, error) {
	for {
		if len(rr.queue) > 0 {
			raw := rr.queue[0]
			rr.queue = rr.queue[1:]
			return raw, nil
		}
		raw, err := rr.sc.Next()
		rr.off, rr.line = rr.sc.Offset(), rr.sc.Line()
		if err != nil {
			return nil, err
		}
		var kind shape
		switch {
		case rr.sc.InRecords() && startsWithKey(raw, `"kinesis"`):
			kind = kindKinesis // a Lambda event from a Kinesis stream
		case rr.sc.InRecords() || startsWithKey(raw, `"eventVersion"`):
			return raw, nil
		default:
			kind = classify(raw)
		}
		if kind == kindRecord {
			return raw, nil
		}
		recs, skipped, err := unwrap(kind, raw, 0)
		rr.skipped += skipped
		rr.queue = append(rr.queue[:0], recs...)
		if err != nil {
			return nil, &SyntaxError{Offset: rr.off, Line: rr.line, Msg: err.Error()}
		}
	}
}

type shape int

const (
	kindRecord shape = iota
	kindLogFile
	kindEventBridge
	kindCloudWatchLogs        // decoded: {"messageType":..., "logEvents":[...]}
	kindCloudWatchLogsEncoded // {"awslogs":{"data":"<base64 gzip>"}}
	kindLookupEvents
	kindKinesis // {"kinesis":{"data":"<base64, often gzip>"}} in a Lambda event's Records
)

// classify tells an envelope from a record by its top-level keys.
func classify(obj []byte) shape {
	kind := kindRecord
	forEachMember(obj, func(key []byte, a, _ int) bool {
		switch {
		case keyIs(key, "detail-type"):
			kind = kindEventBridge
		case keyIs(key, "awslogs") && obj[a] == '{':
			kind = kindCloudWatchLogsEncoded
		case keyIs(key, "logEvents") || keyIs(key, "messageType"):
			kind = kindCloudWatchLogs
		case keyIs(key, "Events") && obj[a] == '[':
			kind = kindLookupEvents
		case keyIs(key, "Records") && obj[a] == '[':
			kind = kindLogFile
		default:
			return true
		}
		return false
	})
	return kind
}

// maxInflated bounds a decompressed CloudWatch Logs payload (the service
// caps them at 1 MiB compressed).
const maxInflated = 64 << 20

// unwrap returns copies of the records inside an envelope, and how many
// events it held that are not CloudTrail records.
func unwrap(kind shape, obj []byte, depth int) (recs [][]byte, skipped int, err error) {
	switch kind {
	case kindLogFile:
		a, b, _ := recordsArray(obj)
		forEachElement(obj[a:b], func(x, y int) { recs = append(recs, bytes.Clone(obj[a+x:a+y])) })
		return recs, 0, nil
	case kindEventBridge:
		var ev struct {
			DetailType string          `json:"detail-type"`
			Detail     json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(obj, &ev); err != nil {
			return nil, 0, fmt.Errorf("eventbridge event: %w", err)
		}
		// CloudTrail sends API calls, console sign-ins and service events
		// (such as KMS DeleteKey) as "... via CloudTrail"; Insights are not records.
		if !strings.HasSuffix(ev.DetailType, "via CloudTrail") || strings.Contains(ev.DetailType, "Insight") {
			return nil, 1, nil
		}
		if len(ev.Detail) == 0 || ev.Detail[0] != '{' {
			return nil, 0, fmt.Errorf("eventbridge event %q: detail is not an object", ev.DetailType)
		}
		return [][]byte{ev.Detail}, 0, nil
	case kindCloudWatchLogs:
		var msg struct {
			MessageType string `json:"messageType"`
			LogEvents   []struct {
				ID      string `json:"id"`
				Message string `json:"message"`
			} `json:"logEvents"`
		}
		if err := json.Unmarshal(obj, &msg); err != nil {
			return nil, 0, fmt.Errorf("cloudwatch logs message: %w", err)
		}
		if msg.MessageType == "CONTROL_MESSAGE" {
			return nil, 1, nil
		}
		for i, ev := range msg.LogEvents {
			m := strings.TrimSpace(ev.Message)
			if !strings.HasPrefix(m, "{") {
				err = fmt.Errorf("cloudwatch logs logEvents[%d] (id %s): message is not a JSON object", i, ev.ID)
				continue
			}
			recs = append(recs, []byte(m))
		}
		return recs, 0, err
	case kindCloudWatchLogsEncoded:
		if depth > 0 {
			return nil, 0, fmt.Errorf("cloudwatch logs payload nested in another")
		}
		return unwrapAWSLogs(obj)
	case kindKinesis:
		var rec struct {
			Kinesis struct {
				Data string `json:"data"`
			} `json:"kinesis"`
		}
		if err := json.Unmarshal(obj, &rec); err != nil {
			return nil, 0, fmt.Errorf("kinesis record: %w", err)
		}
		return unwrapData("kinesis record: kinesis.data", rec.Kinesis.Data)
	case kindLookupEvents:
		var out struct {
			Events []struct {
				EventID         string `json:"EventId"`
				CloudTrailEvent string `json:"CloudTrailEvent"`
			} `json:"Events"`
		}
		if err := json.Unmarshal(obj, &out); err != nil {
			return nil, 0, fmt.Errorf("lookup-events output: %w", err)
		}
		for i, ev := range out.Events {
			if !strings.HasPrefix(strings.TrimSpace(ev.CloudTrailEvent), "{") {
				err = fmt.Errorf("lookup-events Events[%d] (EventId %s): CloudTrailEvent is not a JSON object", i, ev.EventID)
				continue
			}
			recs = append(recs, []byte(ev.CloudTrailEvent))
		}
		return recs, 0, err
	}
	return [][]byte{bytes.Clone(obj)}, 0, nil
}

// unwrapAWSLogs decodes {"awslogs":{"data":"<base64 of gzip>"}}: the gzip
// holds one or more DATA_MESSAGE or CONTROL_MESSAGE objects.
func unwrapAWSLogs(obj []byte) (recs [][]byte, skipped int, err error) {
	var env struct {
		AWSLogs struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}
	if err := json.Unmarshal(obj, &env); err != nil {
		return nil, 0, fmt.Errorf("cloudwatch logs payload: %w", err)
	}
	return unwrapData("cloudwatch logs payload: awslogs.data", env.AWSLogs.Data)
}

// unwrapData decodes base64 data, gzip-compressed or not, holding
// CloudWatch Logs messages (as subscriptions send them) or CloudTrail
// records.
func unwrapData(what, data string) (recs [][]byte, skipped int, err error) {
	plain, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, 0, fmt.Errorf("%s is not base64: %w", what, err)
	}
	if len(plain) >= 2 && plain[0] == 0x1f && plain[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(plain))
		if err != nil {
			return nil, 0, fmt.Errorf("%s is not gzip: %w", what, err)
		}
		plain, err = io.ReadAll(io.LimitReader(zr, maxInflated+1))
		if err != nil {
			return nil, 0, fmt.Errorf("%s: corrupt gzip: %w", what, err)
		}
		if len(plain) > maxInflated {
			return nil, 0, fmt.Errorf("%s inflates to more than %d bytes", what, maxInflated)
		}
	} else if !bytes.HasPrefix(bytes.TrimSpace(plain), []byte("{")) {
		return nil, 0, fmt.Errorf("%s is neither gzip nor JSON", what)
	}
	sc := NewScanner(bytes.NewReader(plain))
	var errs []string
	for {
		raw, err := sc.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, "inside "+what+": "+err.Error())
			continue
		}
		switch kind := classify(raw); kind {
		case kindRecord:
			recs = append(recs, bytes.Clone(raw))
		case kindCloudWatchLogs:
			r, s, err := unwrap(kind, raw, 1)
			recs, skipped = append(recs, r...), skipped+s
			if err != nil {
				errs = append(errs, err.Error())
			}
		default:
			errs = append(errs, fmt.Sprintf("inside %s at offset %d: an envelope inside an envelope", what, sc.Offset()))
		}
	}
	if len(errs) > 0 {
		return recs, skipped, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return recs, skipped, nil
}
