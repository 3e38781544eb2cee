package sqsfake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// findLocked returns the in-flight message a receipt handle names. A handle
// from an earlier receive no longer names the message, as in SQS.
func findLocked(q *queue, handle string) (int, *apiError) {
	if handle == "" || !strings.Contains(handle, "#") {
		return -1, &apiError{400, "ReceiptHandleIsInvalid", "The input receipt handle is invalid."}
	}
	for i, m := range q.msgs {
		if m.handle == handle {
			return i, nil
		}
	}
	return -1, nil
}

func (s *Server) delete(in map[string]json.RawMessage) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.queueLocked(in)
	if aerr != nil {
		return nil, aerr
	}
	return struct{}{}, s.deleteLocked(q, str(in, "ReceiptHandle"))
}

func (s *Server) deleteLocked(q *queue, handle string) *apiError {
	i, aerr := findLocked(q, handle)
	if aerr != nil {
		return aerr
	}
	if i >= 0 { // a stale handle deletes nothing and is not an error
		q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
	}
	return nil
}

func (s *Server) deleteBatch(in map[string]json.RawMessage) (any, *apiError) {
	var entries []struct{ Id, ReceiptHandle string }
	if err := json.Unmarshal(in["Entries"], &entries); err != nil || len(entries) == 0 || len(entries) > 10 {
		return nil, &apiError{400, "EmptyBatchRequest", "Entries must hold 1 to 10 entries"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.queueLocked(in)
	if aerr != nil {
		return nil, aerr
	}
	type ok struct{ Id string }
	type failed struct {
		Id, Code, Message string
		SenderFault       bool
	}
	res := struct {
		Successful []ok
		Failed     []failed
	}{Successful: []ok{}, Failed: []failed{}}
	for _, e := range entries {
		if aerr := s.deleteLocked(q, e.ReceiptHandle); aerr != nil {
			res.Failed = append(res.Failed, failed{e.Id, aerr.code, aerr.text, true})
			continue
		}
		res.Successful = append(res.Successful, ok{e.Id})
	}
	return res, nil
}

func (s *Server) changeVisibility(in map[string]json.RawMessage) (any, *apiError) {
	v, ok := num(in, "VisibilityTimeout")
	if !ok || v < 0 || v > 43200 {
		return nil, &apiError{400, "InvalidParameterValue", "VisibilityTimeout must be between 0 and 43200"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.queueLocked(in)
	if aerr != nil {
		return nil, aerr
	}
	i, aerr := findLocked(q, str(in, "ReceiptHandle"))
	if aerr != nil {
		return nil, aerr
	}
	if i < 0 || !q.msgs[i].visibleAt.After(time.Now()) {
		return nil, &apiError{400, "MessageNotInflight", "The message referred to is not in flight."}
	}
	q.msgs[i].visibleAt = time.Now().Add(time.Duration(v) * time.Second)
	return struct{}{}, nil
}

func (s *Server) attributes(in map[string]json.RawMessage) (any, *apiError) {
	s.mu.Lock()
	q, aerr := s.queueLocked(in)
	s.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	visible, inFlight := s.Depth(str(in, "QueueUrl"))
	return map[string]any{"Attributes": map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
		"VisibilityTimeout":                     strconv.Itoa(int(q.opts.VisibilityTimeout / time.Second)),
	}}, nil
}

func (s *Server) send(in map[string]json.RawMessage) (any, *apiError) {
	body := str(in, "MessageBody")
	if body == "" {
		return nil, &apiError{400, "MissingParameter", "The request must contain the parameter MessageBody."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.queueLocked(in)
	if aerr != nil {
		return nil, aerr
	}
	id := s.sendLocked(q, body)
	sum := md5.Sum([]byte(body))
	return map[string]string{"MessageId": id, "MD5OfMessageBody": hex.EncodeToString(sum[:])}, nil
}
