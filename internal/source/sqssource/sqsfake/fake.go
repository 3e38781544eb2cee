// Package sqsfake is a local Amazon SQS endpoint for tests. It speaks the
// protocol the current AWS SDK for Go v2 uses for SQS: AWS JSON 1.0 over
// POST /, the operation named by X-Amz-Target (AmazonSQS.ReceiveMessage),
// errors as {"__type": ..., "message": ...}. It implements what a consumer
// needs: long polling, batch receive, visibility timeouts with redelivery
// after expiry, ChangeMessageVisibility, DeleteMessage(Batch),
// ApproximateReceiveCount, GetQueueAttributes for queue depth, SendMessage,
// and a redrive policy moving a message to a dead-letter queue once its
// receive count exceeds maxReceiveCount.
package sqsfake

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// QueueOptions configure a queue.
type QueueOptions struct {
	// VisibilityTimeout is the default for ReceiveMessage; 30s if zero.
	VisibilityTimeout time.Duration
	// MaxReceiveCount and DeadLetterQueue form the redrive policy: a
	// message received more than MaxReceiveCount times moves to the
	// dead-letter queue (a URL from CreateQueue). Zero disables it.
	MaxReceiveCount int
	DeadLetterQueue string
}

// Server is a running fake SQS endpoint.
type Server struct {
	*httptest.Server
	mu     sync.Mutex
	queues map[string]*queue // by URL
	seq    int
	// Requests counts calls by operation, for tests.
	requests map[string]int
}

type queue struct {
	opts QueueOptions
	msgs []*message
}

type message struct {
	id, body, handle string
	visibleAt        time.Time
	receives         int
	sentAt, firstAt  time.Time
}

// New starts a server on 127.0.0.1; Close stops it.
func New() *Server {
	s := &Server{queues: map[string]*queue{}, requests: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// CreateQueue creates a queue and returns its URL.
func (s *Server) CreateQueue(name string, opts QueueOptions) string {
	if opts.VisibilityTimeout <= 0 {
		opts.VisibilityTimeout = 30 * time.Second
	}
	u := s.URL + "/000000000000/" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[u] = &queue{opts: opts}
	return u
}

// Send adds a message to a queue, as SendMessage does.
func (s *Server) Send(queueURL, body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendLocked(s.queues[queueURL], body)
}

func (s *Server) sendLocked(q *queue, body string) string {
	s.seq++
	m := &message{id: fmt.Sprintf("msg-%06d", s.seq), body: body, sentAt: time.Now()}
	q.msgs = append(q.msgs, m)
	return m.id
}

// Depth returns the number of visible and in-flight messages of a queue.
func (s *Server) Depth(queueURL string) (visible, inFlight int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, m := range s.queues[queueURL].msgs {
		if m.visibleAt.After(now) {
			inFlight++
		} else {
			visible++
		}
	}
	return visible, inFlight
}

// Bodies returns the bodies of every message of a queue, in order.
func (s *Server) Bodies(queueURL string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.queues[queueURL].msgs {
		out = append(out, m.body)
	}
	return out
}

// Requests returns how many calls of op (e.g. "ChangeMessageVisibility")
// the server answered.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[op]
}

type apiError struct {
	status     int
	code, text string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if r.Method != http.MethodPost || !ok || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.0") {
		writeErr(w, apiError{400, "InvalidAction", "want POST with X-Amz-Target AmazonSQS.* and AWS JSON 1.0"})
		return
	}
	var in map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, apiError{400, "InvalidParameterValue", "body: " + err.Error()})
		return
	}
	s.mu.Lock()
	s.requests[op]++
	s.mu.Unlock()
	var (
		out  any
		aerr *apiError
	)
	switch op {
	case "ReceiveMessage":
		out, aerr = s.receive(r, in)
	case "DeleteMessage":
		out, aerr = s.delete(in)
	case "DeleteMessageBatch":
		out, aerr = s.deleteBatch(in)
	case "ChangeMessageVisibility":
		out, aerr = s.changeVisibility(in)
	case "GetQueueAttributes":
		out, aerr = s.attributes(in)
	case "SendMessage":
		out, aerr = s.send(in)
	default:
		aerr = &apiError{400, "UnsupportedOperation", op + " is not implemented by the fake"}
	}
	if aerr != nil {
		writeErr(w, *aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

// legacyCodes are the AWS Query error codes SQS reports in the
// x-amzn-query-error header where they differ from the JSON error type; the
// SDK (query-compatible mode) surfaces the header's code.
var legacyCodes = map[string]string{
	"QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
	"EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
}

func writeErr(w http.ResponseWriter, e apiError) {
	legacy := legacyCodes[e.code]
	if legacy == "" {
		legacy = e.code
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-query-error", legacy+";Sender")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + e.code, "message": e.text})
}

func str(in map[string]json.RawMessage, k string) string {
	var v string
	_ = json.Unmarshal(in[k], &v)
	return v
}

func num(in map[string]json.RawMessage, k string) (int, bool) {
	raw, ok := in[k]
	if !ok {
		return 0, false
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, false
	}
	return v, true
}

// queueLocked finds the queue named in the request; s.mu is held.
func (s *Server) queueLocked(in map[string]json.RawMessage) (*queue, *apiError) {
	q := s.queues[str(in, "QueueUrl")]
	if q == nil {
		return nil, &apiError{400, "QueueDoesNotExist", "The specified queue does not exist."}
	}
	return q, nil
}

func newHandle(id string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return id + "#" + hex.EncodeToString(b)
}

func (s *Server) receive(r *http.Request, in map[string]json.RawMessage) (any, *apiError) {
	max, ok := num(in, "MaxNumberOfMessages")
	if !ok {
		max = 1
	}
	if max < 1 || max > 10 {
		return nil, &apiError{400, "InvalidParameterValue", "MaxNumberOfMessages must be between 1 and 10"}
	}
	wait, _ := num(in, "WaitTimeSeconds")
	if wait < 0 || wait > 20 {
		return nil, &apiError{400, "InvalidParameterValue", "WaitTimeSeconds must be between 0 and 20"}
	}
	deadline := time.Now().Add(time.Duration(wait) * time.Second)
	for {
		msgs, aerr := s.take(in, max)
		if aerr != nil || len(msgs) > 0 || !time.Now().Before(deadline) {
			return map[string]any{"Messages": msgs}, aerr
		}
		select {
		case <-r.Context().Done():
			return map[string]any{"Messages": msgs}, nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type wireMessage struct {
	MessageID     string            `json:"MessageId"`
	ReceiptHandle string            `json:"ReceiptHandle"`
	MD5OfBody     string            `json:"MD5OfBody"`
	Body          string            `json:"Body"`
	Attributes    map[string]string `json:"Attributes"`
}

func (s *Server) take(in map[string]json.RawMessage, max int) ([]wireMessage, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.queueLocked(in)
	if aerr != nil {
		return nil, aerr
	}
	vis := q.opts.VisibilityTimeout
	if v, ok := num(in, "VisibilityTimeout"); ok {
		vis = time.Duration(v) * time.Second
	}
	now := time.Now()
	var out []wireMessage
	kept := q.msgs[:0]
	for _, m := range q.msgs {
		if len(out) == max || m.visibleAt.After(now) {
			kept = append(kept, m)
			continue
		}
		if q.opts.MaxReceiveCount > 0 && m.receives >= q.opts.MaxReceiveCount {
			if dlq := s.queues[q.opts.DeadLetterQueue]; dlq != nil {
				m.visibleAt, m.handle = time.Time{}, ""
				dlq.msgs = append(dlq.msgs, m)
				continue
			}
		}
		m.receives++
		if m.firstAt.IsZero() {
			m.firstAt = now
		}
		m.handle = newHandle(m.id)
		m.visibleAt = now.Add(vis)
		sum := md5.Sum([]byte(m.body))
		out = append(out, wireMessage{
			MessageID: m.id, ReceiptHandle: m.handle, MD5OfBody: hex.EncodeToString(sum[:]), Body: m.body,
			Attributes: map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(m.receives),
				"SentTimestamp":                    strconv.FormatInt(m.sentAt.UnixMilli(), 10),
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstAt.UnixMilli(), 10),
			},
		})
		kept = append(kept, m)
	}
	q.msgs = kept
	return out, nil
}
