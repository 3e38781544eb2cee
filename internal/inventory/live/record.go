package live

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/smithy-go"

	"github.com/kmsguard/kmsguard/internal/inventory/live/clijson"
)

// Summary reports what a collection read and which calls failed.
type Summary struct {
	Accounts int // accounts collected (not counting ones that failed outright)
	Regions  int // account-regions whose keys were listed
	Keys     int // keys described or attempted
	Files    int // snapshot files written, error files included
	// Failures are the calls that failed; each left an error file. They
	// make the snapshot partial.
	Failures []Failure
	// Notes are failed calls that only mean an optional part is absent,
	// such as Organizations SCPs in an account that may not read them.
	Notes []Failure
}

// Failure is one failed call, recorded in the snapshot as File.
type Failure struct {
	File    string // the .error.json file written, relative to the snapshot root
	Code    string
	Message string
}

// Partial reports whether any call failed.
func (s Summary) Partial() bool { return len(s.Failures) > 0 }

// errorFile is the JSON written for a failed call.
type errorFile struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// recorder writes snapshot files and error facts for one collection and
// gathers the summary. It is safe for concurrent use.
type recorder struct {
	sink Sink
	mu   sync.Mutex
	sum  Summary
	errs []error // sink write errors, which Collect returns
}

// write stores v as <name>.json.
func (r *recorder) write(name string, v any) {
	r.store(name+".json", v)
}

// fail stores the failure of the call that would have produced <name>.json
// as <name>.error.json. soft failures become notes, not failures.
func (r *recorder) fail(name string, callErr error, soft bool) {
	code, msg := errorCode(callErr)
	if !r.store(name+".error.json", errorFile{Code: code, Message: msg}) {
		return
	}
	f := Failure{File: name + ".error.json", Code: code, Message: msg}
	r.count(func(s *Summary) {
		if soft {
			s.Notes = append(s.Notes, f)
		} else {
			s.Failures = append(s.Failures, f)
		}
	})
}

// store writes v as file and counts it, or keeps the write error for
// Collect to return.
func (r *recorder) store(file string, v any) bool {
	data, err := clijson.Marshal(v)
	if err == nil {
		err = r.sink.WriteFile(file, data)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("write %s: %w", file, err))
		return false
	}
	r.sum.Files++
	return true
}

func (r *recorder) count(fn func(*Summary)) {
	r.mu.Lock()
	fn(&r.sum)
	r.mu.Unlock()
}

func (r *recorder) summary() (Summary, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sum
	sort.Slice(s.Failures, func(i, j int) bool { return s.Failures[i].File < s.Failures[j].File })
	sort.Slice(s.Notes, func(i, j int) bool { return s.Notes[i].File < s.Notes[j].File })
	return s, errors.Join(r.errs...)
}

// errorCode extracts the AWS error code and message of a failed call. An
// error that never reached AWS (network, credentials) gets a code naming
// that.
func errorCode(err error) (code, message string) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code, message = apiErr.ErrorCode(), apiErr.ErrorMessage()
		switch code {
		case "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure":
			message += " (an opt-in region that is not enabled for the account answers like this)"
		}
		return code, message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "RequestTimeout", err.Error()
	}
	return "RequestFailed", err.Error()
}

// isSoftOrgError reports whether an Organizations failure only means that the
// optional SCP data is not readable with these credentials.
func isSoftOrgError(err error) bool {
	code, _ := errorCode(err)
	return strings.HasPrefix(code, "AccessDenied") || code == "AWSOrganizationsNotInUseException"
}

// scope is the part of a snapshot one account is written to: the root for
// a single account, accounts/<id>/ in organisation mode.
type scope struct {
	rec    *recorder
	prefix string
}

func (s scope) path(name string) string {
	if s.prefix == "" {
		return name
	}
	return s.prefix + "/" + name
}

func (s scope) write(name string, v any)    { s.rec.write(s.path(name), v) }
func (s scope) fail(name string, err error) { s.rec.fail(s.path(name), err, false) }
func (s scope) note(name string, err error) { s.rec.fail(s.path(name), err, true) }
