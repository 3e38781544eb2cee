package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC) }

func emailOpts(s *smtpCapture) EmailOptions {
	return EmailOptions{
		Name: "mail-oncall", Host: s.Addr, Port: s.Port, Username: s.User, Password: secretOf(s.Pass),
		From: "kmsguard <kmsguard@example.com>", To: []string{"SecOps <secops@example.com>", "oncall@example.com"},
		TLSConfig: &tls.Config{RootCAs: s.RootCAs}, Now: fixedNow, Timeout: 10 * time.Second,
	}
}

func TestEmailOverSTARTTLSWithAuth(t *testing.T) {
	srv := startSMTP(t, true)
	ch, err := NewEmail(emailOpts(srv))
	if err != nil {
		t.Fatal(err)
	}
	a := testAlert()
	a.RuleTitle = "Clé KMS programmée pour suppression" // forces RFC 2047 encoded words
	a.Actor.ARN = "arn:aws:sts::111122223333:assumed-role/Admin/<script>alert(1)</script>"
	if err := ch.Send(context.Background(), a); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if !m.TLS {
		t.Error("transaction did not run over STARTTLS")
	}
	if m.AuthUser != "kmsguard" {
		t.Errorf("authenticated user = %q, want kmsguard", m.AuthUser)
	}
	if m.From != "kmsguard@example.com" || !cmp.Equal(m.To, []string{"secops@example.com", "oncall@example.com"}) {
		t.Errorf("envelope = %q -> %q", m.From, m.To)
	}
	golden(t, "email.eml", m.Data)

	parsed, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("received message does not parse: %v", err)
	}
	h := parsed.Header
	rawSubject := h.Get("Subject")
	if !strings.HasPrefix(rawSubject, "=?utf-8?q?") {
		t.Errorf("non-ASCII subject is not an encoded word: %q", rawSubject)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(rawSubject)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[kmsguard] [HIGH] Clé KMS programmée pour suppression (kms-key-deletion-scheduled)"; subject != want {
		t.Errorf("Subject = %q, want %q", subject, want)
	}
	if d, err := h.Date(); err != nil || !d.Equal(fixedNow()) {
		t.Errorf("Date = %v, %v", d, err)
	}
	if got, want := h.Get(HeaderEmailIdempotencyKey), IdempotencyKey(a, "mail-oncall"); got != want {
		t.Errorf("%s = %q, want %q", HeaderEmailIdempotencyKey, got, want)
	}
	for _, k := range []string{"Message-ID", "From", "To", "MIME-Version"} {
		if h.Get(k) == "" {
			t.Errorf("header %s missing", k)
		}
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // quoted-printable is decoded by multipart
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types, bodies = append(types, ct), append(bodies, string(b))
	}
	if !cmp.Equal(types, []string{"text/plain", "text/html"}) {
		t.Fatalf("parts = %q, want text/plain then text/html", types)
	}
	if !strings.Contains(bodies[0], "aws kms cancel-key-deletion --key-id 1234abcd-12ab-34cd-56ef-1234567890ab") ||
		!strings.Contains(bodies[0], "Clé KMS") {
		t.Errorf("text part lacks the command or the UTF-8 title:\n%s", bodies[0])
	}
	if strings.Contains(bodies[1], "<script>") || !strings.Contains(bodies[1], "&lt;script&gt;") {
		t.Errorf("HTML part does not escape alert fields:\n%s", bodies[1])
	}
}

func TestEmailFailures(t *testing.T) {
	tests := []struct {
		name      string
		tls       bool
		mutate    func(*EmailOptions, *smtpCapture)
		wantErr   string
		retryable bool
	}{
		{name: "server without STARTTLS is refused", tls: false, wantErr: "does not offer STARTTLS"},
		{name: "wrong password is permanent", tls: true, mutate: func(o *EmailOptions, _ *smtpCapture) { o.Password = secretOf("wr0ngPassw0rd") }, wantErr: "AUTH"},
		{name: "untrusted certificate is retryable", tls: true, mutate: func(o *EmailOptions, _ *smtpCapture) { o.TLSConfig = nil }, wantErr: "STARTTLS", retryable: true},
		{name: "rejected recipient is permanent", tls: true, mutate: func(_ *EmailOptions, s *smtpCapture) {
			s.RcptError = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}, wantErr: "RCPT TO"},
		{name: "greylisted recipient is retryable", tls: true, mutate: func(_ *EmailOptions, s *smtpCapture) {
			s.RcptError = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "try later"}
		}, wantErr: "RCPT TO", retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, tt.tls)
			opts := emailOpts(srv)
			if tt.mutate != nil {
				tt.mutate(&opts, srv)
			}
			ch, err := NewEmail(opts)
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Send(context.Background(), testAlert())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if IsRetryable(err) != tt.retryable {
				t.Errorf("retryable = %v, want %v (%v)", IsRetryable(err), tt.retryable, err)
			}
			for _, s := range []string{srv.Pass, "wr0ngPassw0rd"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks the password: %v", err)
				}
			}
			if n := len(srv.messages()); n != 0 {
				t.Errorf("server accepted %d messages", n)
			}
		})
	}
}

func TestEmailPlaintextOnlyWhenExplicit(t *testing.T) {
	srv := startSMTP(t, false)
	opts := emailOpts(srv)
	opts.Security, opts.Username, opts.Password = SMTPInsecure, "", Secret{}
	ch, err := NewEmail(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), testAlert()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := srv.messages(); len(m) != 1 || m[0].TLS {
		t.Errorf("messages = %+v, want one without TLS", m)
	}
	opts.Username, opts.Password = "u", secretOf("p")
	if _, err := NewEmail(opts); err == nil {
		t.Error("AUTH with security none should be refused at construction")
	}
}
