package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const topSecret = "hunter2-0123456789"

func TestSecretRedactsEverywhere(t *testing.T) {
	s := NewSecret(topSecret)
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("config", "url", s, "nested", struct{ S Secret }{s})
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("config", "url", s)
	js, _ := json.Marshal(map[string]any{"s": s, "p": &s})
	txt, _ := s.MarshalText()
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", s), "%+v": fmt.Sprintf("%+v", s), "%#v": fmt.Sprintf("%#v", s),
		"%s": fmt.Sprintf("%s", s), "%q": fmt.Sprintf("%q", s), "%x": fmt.Sprintf("%x", s),
		"struct %+v": fmt.Sprintf("%+v", struct{ URL Secret }{s}), "pointer %v": fmt.Sprintf("%v", &s),
		"String": s.String(), "json": string(js), "text": string(txt), "slog": logBuf.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, topSecret) || !strings.Contains(out, "redacted") {
			t.Errorf("%s: %q leaks or does not mark redaction", name, out)
		}
	}
	if s.Reveal() != topSecret {
		t.Error("Reveal lost the value")
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "key")
	if err := os.WriteFile(good, []byte(topSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l := Lookup{
		Env: func(k string) (string, bool) {
			if k == "PD_KEY" {
				return topSecret, true
			}
			return "", false
		},
		ReadFile: os.ReadFile,
	}
	tests := []struct {
		ref     SecretRef
		wantErr string
	}{
		{ref: "env:PD_KEY"},
		{ref: SecretRef("file:" + good)},
		{ref: "env:MISSING", wantErr: "MISSING is not set"},
		{ref: "env:", wantErr: "empty environment variable name"},
		{ref: SecretRef("file:" + empty), wantErr: "file is empty"},
		{ref: SecretRef("file:" + filepath.Join(dir, "nope")), wantErr: "no such file"},
		{ref: "https://hooks.slack.com/services/T/B/" + topSecret, wantErr: "not an inline value"},
		{ref: "", wantErr: "missing"},
	}
	for _, tt := range tests {
		t.Run(string(tt.ref), func(t *testing.T) {
			s, err := l.Resolve(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), topSecret) {
					t.Errorf("error leaks the inline value: %v", err)
				}
				return
			}
			if err != nil || s.Reveal() != topSecret {
				t.Fatalf("Resolve = %q, %v", s.Reveal(), err)
			}
		})
	}
}

func TestScrubErrorKeepsClassification(t *testing.T) {
	s := NewSecret(topSecret)
	err := scrubError(Retryable(errors.New("post https://x/"+topSecret+": refused"), 5), s)
	if strings.Contains(err.Error(), topSecret) || !IsRetryable(err) || RetryAfterOf(err) != 5 {
		t.Errorf("scrubError = %v (retryable %v, after %v)", err, IsRetryable(err), RetryAfterOf(err))
	}
	err = scrubError(Permanent(errors.New(topSecret)), s)
	if strings.Contains(err.Error(), topSecret) || IsRetryable(err) {
		t.Errorf("scrubError = %v", err)
	}
}
