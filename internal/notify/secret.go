package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
)

const redacted = "[redacted]"

// SecretRef is how the config file names a secret: "env:NAME" reads the
// environment variable NAME, "file:/path" reads the file (one trailing
// newline is trimmed). Inline values are rejected so that a config file can
// be committed and shared without leaking credentials.
type SecretRef string

// Secret holds a resolved credential. Every way of printing it (String,
// Format with any verb, MarshalJSON, MarshalText, slog) yields "[redacted]";
// only Reveal returns the value.
type Secret struct {
	value string
}

// NewSecret wraps a value obtained elsewhere (tests, other config sources).
func NewSecret(v string) Secret { return Secret{value: v} }

// Reveal returns the secret value; call it only where the value is sent.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// Format redacts for every verb, including %v, %+v, %#v, %q and %x.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON writes "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText writes "[redacted]" (YAML, text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Lookup supplies the outside world to secret resolution; tests replace it.
type Lookup struct {
	Env      func(string) (string, bool)
	ReadFile func(string) ([]byte, error)
}

// DefaultLookup reads the process environment and the file system.
func DefaultLookup() Lookup { return Lookup{Env: os.LookupEnv, ReadFile: os.ReadFile} }

// Resolve reads the secret ref names. The error names the ref (which is not
// secret) but never the value.
func (l Lookup) Resolve(ref SecretRef) (Secret, error) {
	r := strings.TrimSpace(string(ref))
	switch {
	case strings.HasPrefix(r, "env:"):
		name := strings.TrimPrefix(r, "env:")
		if name == "" {
			return Secret{}, fmt.Errorf("secret %q: empty environment variable name", r)
		}
		v, ok := l.Env(name)
		if !ok || v == "" {
			return Secret{}, fmt.Errorf("secret %q: environment variable %s is not set", r, name)
		}
		return Secret{value: v}, nil
	case strings.HasPrefix(r, "file:"):
		path := strings.TrimPrefix(r, "file:")
		if path == "" {
			return Secret{}, fmt.Errorf("secret %q: empty file path", r)
		}
		b, err := l.ReadFile(path)
		if err != nil {
			return Secret{}, fmt.Errorf("secret %q: %w", r, err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return Secret{}, fmt.Errorf("secret %q: file is empty", r)
		}
		return Secret{value: v}, nil
	case r == "":
		return Secret{}, fmt.Errorf("secret is missing: want env:NAME or file:/path")
	default:
		return Secret{}, fmt.Errorf("secret must be a reference (env:NAME or file:/path), not an inline value")
	}
}

// scrub replaces every occurrence of the secrets in msg with "[redacted]".
// Channels run every outgoing error message through it, so a secret that a
// library or a server echoed back never reaches a log line.
func scrub(msg string, secrets ...Secret) string {
	for _, s := range secrets {
		if len(s.value) >= 4 { // shorter values would mangle ordinary text
			msg = strings.ReplaceAll(msg, s.value, redacted)
		}
	}
	return msg
}

// urlSecrets returns the pieces of a secret URL a server or library may
// quote on their own: the whole URL, its path and query, and every path
// segment or query value long enough to be a token.
func urlSecrets(s Secret) []Secret {
	out := []Secret{s}
	u, err := url.Parse(s.value)
	if err != nil {
		return out
	}
	add := func(v string) {
		if len(v) >= 12 {
			out = append(out, Secret{value: v})
		}
	}
	add(u.EscapedPath())
	add(u.Path)
	add(u.RawQuery)
	for _, seg := range strings.Split(u.Path, "/") {
		add(seg)
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			add(v)
		}
	}
	return out
}

// scrubError rebuilds err with secrets removed from its message, keeping
// its retry classification. Context cancellation passes through untouched
// so that callers can still recognise shutdown.
func scrubError(err error, secrets ...Secret) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Retryable(errors.New(scrub(err.Error(), secrets...)), 0)
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return &DeliveryError{Retryable: de.Retryable, RetryAfter: de.RetryAfter,
			Err: errors.New(scrub(de.Err.Error(), secrets...))}
	}
	return Retryable(errors.New(scrub(err.Error(), secrets...)), 0)
}
