// Package awsfake is a local AWS endpoint for tests and benchmarks of the
// live collector. Real AWS SDK for Go v2 clients talk to it through
// BaseEndpoint with static credentials, over the services' real wire
// protocols: AWS JSON 1.1 for KMS and Organizations, the Query protocol
// with XML responses for IAM and STS, and the EC2 Query protocol for
// DescribeRegions. It can add latency, throttle above a request rate, deny
// chosen calls, and model disabled regions and roles that cannot be assumed.
package awsfake

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Config describes the fake's data and behaviour.
type Config struct {
	Accounts     []*Account
	Organization *Organization
	// Latency is added to every response.
	Latency time.Duration
	// KMSRate, when positive, is the KMS request rate per account and
	// region above which requests fail with ThrottlingException (a token
	// bucket of KMSBurst tokens, like KMS's own quotas).
	KMSRate  float64
	KMSBurst int
	// PageSize caps every page the fake returns (default 100), whatever
	// Limit the client asks for, to exercise pagination.
	PageSize int
	// Deny reports whether a call is denied with AccessDenied. resource is
	// the key id for per-key KMS calls and "" otherwise.
	Deny func(account, region, operation, resource string) bool
	// Throttle reports whether a KMS call is always answered with
	// ThrottlingException, whatever the rate, so that the client's retries
	// run out. Arguments are as for Deny.
	Throttle func(account, region, operation, resource string) bool
}

// Stats counts what the fake served.
type Stats struct {
	Requests  int64            // all requests
	Throttled int64            // requests answered with a throttling error
	Calls     map[string]int64 // requests per "service:Operation"
}

// Server is a running fake AWS endpoint.
type Server struct {
	*httptest.Server
	cfg       Config
	requests  atomic.Int64
	throttled atomic.Int64
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	calls     map[string]int64
	log       []Request
	// state serialises the handlers' reads and writes of the account data
	// with Mutate, so a test can change a key between two calls.
	state sync.Mutex
}

// New starts a fake endpoint on 127.0.0.1. Close it when done.
func New(cfg Config) *Server {
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.KMSBurst <= 0 {
		cfg.KMSBurst = 10
	}
	s := &Server{cfg: cfg, buckets: map[string]*rate.Limiter{}, calls: map[string]int64{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := make(map[string]int64, len(s.calls))
	for k, v := range s.calls {
		calls[k] = v
	}
	return Stats{Requests: s.requests.Load(), Throttled: s.throttled.Load(), Calls: calls}
}

// AssumedAccessKey is the access key id AssumeRole issues for an account.
func AssumedAccessKey(account string) string { return "ASIAFAKE" + account }

// call is one decoded request.
type call struct {
	account *Account
	region  string
	service string
	params  url.Values // query protocols
	body    []byte     // JSON protocols
	target  string     // JSON protocols: operation name
	assumed bool       // signed with credentials AssumeRole issued
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

// serve decides each request when it arrives, as AWS's quotas do, and
// delays the answer by the configured latency.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	rec := httptest.NewRecorder()
	s.handle(rec, r)
	if s.cfg.Latency > 0 {
		select {
		case <-time.After(s.cfg.Latency):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes()) // fails only when the client hung up
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "missing SigV4 Authorization header", http.StatusForbidden)
		return
	}
	c := call{region: m[2], service: m[3], body: body}
	c.account = s.accountFor(m[1])
	c.assumed = strings.HasPrefix(m[1], AssumedAccessKey(""))
	op := r.Header.Get("X-Amz-Target")
	if _, after, ok := strings.Cut(op, "."); ok {
		op = after
	} else if q, err := url.ParseQuery(string(body)); err == nil {
		op = q.Get("Action")
	}
	s.mu.Lock()
	s.calls[c.service+":"+op]++
	s.log = append(s.log, Request{Service: c.service, Operation: op, AccessKey: m[1], Region: c.region, Body: string(body)})
	s.mu.Unlock()
	s.state.Lock()
	defer s.state.Unlock()
	switch c.service {
	case "kms", "organizations":
		target := r.Header.Get("X-Amz-Target")
		_, c.target, _ = strings.Cut(target, ".")
		if c.account == nil {
			writeJSONError(w, http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
			return
		}
		if c.service == "kms" {
			s.serveKMS(w, c)
		} else {
			s.serveOrganizations(w, c)
		}
	case "iam", "sts", "ec2":
		c.params, err = url.ParseQuery(string(body))
		if err != nil {
			writeQueryError(w, c.service, http.StatusBadRequest, "MalformedQueryString", err.Error())
			return
		}
		if c.account == nil {
			code := "InvalidClientTokenId"
			if c.service == "ec2" {
				code = "AuthFailure"
			}
			writeQueryError(w, c.service, http.StatusForbidden, code, "The security token included in the request is invalid.")
			return
		}
		switch c.service {
		case "iam":
			s.serveIAM(w, c)
		case "sts":
			s.serveSTS(w, c)
		default:
			s.serveEC2(w, c)
		}
	default:
		http.Error(w, fmt.Sprintf("service %q is not faked", c.service), http.StatusNotFound)
	}
}

func (s *Server) accountFor(accessKey string) *Account {
	for _, a := range s.cfg.Accounts {
		if accessKey == a.AccessKey || accessKey == AssumedAccessKey(a.ID) {
			return a
		}
	}
	return nil
}

func (s *Server) account(id string) *Account {
	for _, a := range s.cfg.Accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (s *Server) denied(c call, op, resource string) bool {
	return s.cfg.Deny != nil && s.cfg.Deny(c.account.ID, c.region, op, resource)
}

// allowKMS takes a token from the account-and-region KMS bucket.
func (s *Server) allowKMS(c call) bool {
	if s.cfg.KMSRate <= 0 {
		return true
	}
	key := c.account.ID + "/" + c.region
	s.mu.Lock()
	b, ok := s.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Limit(s.cfg.KMSRate), s.cfg.KMSBurst)
		s.buckets[key] = b
	}
	s.mu.Unlock()
	if b.Allow() {
		return true
	}
	s.throttled.Add(1)
	return false
}

func disabled(a *Account, region string) bool { return slices.Contains(a.DisabledRegions, region) }

// page returns the bounds of one page of n items starting at marker.
func (s *Server) page(n int, marker string, limit int) (start, end int, next string, err error) {
	if marker != "" {
		if _, err := fmt.Sscanf(marker, "m%d", &start); err != nil || start < 0 || start > n {
			return 0, 0, "", fmt.Errorf("invalid marker %q", marker)
		}
	}
	size := s.cfg.PageSize
	if limit > 0 && limit < size {
		size = limit
	}
	end = min(n, start+size)
	if end < n {
		next = fmt.Sprintf("m%d", end)
	}
	return start, end, next, nil
}
