package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A failed response's body is read up to readErrorBody bytes and quoted in
// the error up to maxErrorBody bytes (after secrets are scrubbed).
const (
	readErrorBody = 8 << 10
	maxErrorBody  = 512
)

// NewHTTPClient returns the client channels use by default: a bounded
// timeout and no redirects (a webhook that redirects is misconfigured, and
// following it would send the alert, and any token in it, somewhere else).
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// postJSON sends body to target and classifies the outcome. The returned
// error never contains target: url.Error (which quotes the full URL) is
// unwrapped, and the message is scrubbed of the URL's pieces and the extra
// secrets. ok lists the status codes that mean success; nil means any 2xx.
func postJSON(ctx context.Context, client *http.Client, service string, target Secret, body []byte, header http.Header, ok []int, extra ...Secret) error {
	secrets := append(urlSecrets(target), extra...)
	resp, err := doPost(ctx, client, service, target.Reveal(), body, header)
	if err != nil {
		return scrubError(err, secrets...)
	}
	if success(resp.status, ok) {
		return nil
	}
	snippet := resp.snippet
	if resp.truncated {
		// The cut may fall inside a secret, leaving a prefix the scrubber
		// cannot recognise: drop as many bytes as the longest secret.
		longest := 0
		for _, s := range secrets {
			longest = max(longest, len(s.value))
		}
		snippet = snippet[:max(0, len(snippet)-longest)]
	}
	text := truncate(maxErrorBody, strings.TrimSpace(scrub(string(snippet), secrets...)))
	msg := fmt.Errorf("%s: HTTP %d: %s", service, resp.status, text)
	return scrubError(classifyStatus(resp.status, resp.retryAfter, time.Now(), msg), secrets...)
}

type postResult struct {
	status     int
	retryAfter string
	snippet    []byte
	truncated  bool
}

// doPost performs the request; an error means no HTTP response arrived.
func doPost(ctx context.Context, client *http.Client, service, target string, body []byte, header http.Header) (postResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		// The parse error quotes the URL; say only what kind of problem it is.
		return postResult{}, Permanent(fmt.Errorf("%s: invalid endpoint URL", service))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kmsguard-notify")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop "Post \"https://hooks.slack.com/services/...\": "
		}
		if ctx.Err() != nil {
			return postResult{}, fmt.Errorf("%s: %w", service, ctx.Err())
		}
		return postResult{}, Retryable(fmt.Errorf("%s: %w", service, err), 0)
	}
	defer func() { _ = resp.Body.Close() }()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, readErrorBody+1))
	truncated := len(snippet) > readErrorBody
	if truncated {
		snippet = snippet[:readErrorBody]
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	return postResult{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), snippet: snippet, truncated: truncated}, nil
}

func success(code int, ok []int) bool {
	if ok == nil {
		return code >= 200 && code < 300
	}
	for _, c := range ok {
		if c == code {
			return true
		}
	}
	return false
}

// classifyStatus maps an HTTP status to a retry decision: 408, 425, 429 and
// 5xx are transient, everything else (4xx, unexpected 2xx/3xx) is permanent.
func classifyStatus(code int, retryAfter string, now time.Time, err error) error {
	switch {
	case code == http.StatusTooManyRequests, code == http.StatusRequestTimeout,
		code == http.StatusTooEarly, code >= 500:
		return Retryable(err, parseRetryAfter(retryAfter, now))
	default:
		return Permanent(err)
	}
}

// parseRetryAfter reads a Retry-After header: delta-seconds or an HTTP date
// (RFC 9110 section 10.2.3), capped at a day. Unparseable or past values
// yield 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}
