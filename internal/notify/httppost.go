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

// maxErrorBody bounds how much of a failed response we quote in errors.
const maxErrorBody = 512

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
// unwrapped, and the message is scrubbed of target and the extra secrets.
// ok lists the status codes that mean success; nil means any 2xx.
func postJSON(ctx context.Context, client *http.Client, service string, target Secret, body []byte, header http.Header, ok []int, extra ...Secret) error {
	secrets := append(urlSecrets(target), extra...)
	err := doPost(ctx, client, service, target.Reveal(), body, header, ok)
	return scrubError(err, secrets...)
}

func doPost(ctx context.Context, client *http.Client, service, target string, body []byte, header http.Header, ok []int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		// The parse error quotes the URL; say only what kind of problem it is.
		return Permanent(fmt.Errorf("%s: invalid endpoint URL", service))
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
			return fmt.Errorf("%s: %w", service, ctx.Err())
		}
		return Retryable(fmt.Errorf("%s: %v", service, err), 0)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if success(resp.StatusCode, ok) {
		return nil
	}
	msg := fmt.Errorf("%s: HTTP %d: %s", service, resp.StatusCode, strings.TrimSpace(string(snippet)))
	return classifyStatus(resp.StatusCode, resp.Header.Get("Retry-After"), time.Now(), msg)
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
// (RFC 9110 section 10.2.3). Unparseable or past values yield 0.
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
		return t.Sub(now)
	}
	return 0
}
