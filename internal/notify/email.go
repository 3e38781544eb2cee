package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// SMTP transport security modes.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS (default, required)
	SMTPTLS      = "tls"      // implicit TLS from the first byte (port 465)
	SMTPInsecure = "none"     // no TLS at all; must be chosen explicitly, and forbids AUTH
)

// EmailOptions configure an SMTP e-mail channel.
type EmailOptions struct {
	Name     string
	Host     string
	Port     int    // 0: 587 for starttls, 465 for tls, 25 for none
	Security string // SMTPStartTLS (""), SMTPTLS or SMTPInsecure
	Username string // empty: no AUTH
	Password Secret
	From     string   // RFC 5322 address, e.g. "kmsguard <kmsguard@example.com>"
	To       []string // one or more addresses
	// TLSConfig overrides the TLS settings (e.g. a private CA); ServerName
	// defaults to Host.
	TLSConfig *tls.Config
	LocalName string // EHLO name; empty: "localhost"
	Templates Templates
	Now       func() time.Time
	Timeout   time.Duration // whole transaction; 0: 60s
}

// Email sends a multipart/alternative message per alert over SMTP.
type Email struct {
	opts EmailOptions
	from *mail.Address
	to   []*mail.Address
	tpl  *compiledTemplates
}

// NewEmail validates the options, parses the addresses and compiles the
// templates.
func NewEmail(opts EmailOptions) (*Email, error) {
	if opts.Host == "" {
		return nil, errors.New("email: host is required")
	}
	switch opts.Security {
	case "":
		opts.Security = SMTPStartTLS
	case SMTPStartTLS, SMTPTLS, SMTPInsecure:
	default:
		return nil, fmt.Errorf("email: security %q: want starttls, tls or none", opts.Security)
	}
	if opts.Security == SMTPInsecure && opts.Username != "" {
		return nil, errors.New("email: refusing AUTH without TLS (security: none)")
	}
	if opts.Username != "" && opts.Password.IsZero() {
		return nil, errors.New("email: password is required with username")
	}
	if opts.Port == 0 {
		opts.Port = map[string]int{SMTPStartTLS: 587, SMTPTLS: 465, SMTPInsecure: 25}[opts.Security]
	}
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("email: from %q: %w", opts.From, err)
	}
	if len(opts.To) == 0 {
		return nil, errors.New("email: at least one to address is required")
	}
	var to []*mail.Address
	for _, s := range opts.To {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("email: to %q: %w", s, err)
		}
		to = append(to, a)
	}
	tpl, err := opts.Templates.compile()
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.LocalName == "" {
		opts.LocalName = "localhost"
	}
	return &Email{opts: opts, from: from, to: to, tpl: tpl}, nil
}

// Name returns the channel instance name.
func (e *Email) Name() string { return e.opts.Name }

func (e *Email) message(a alert.Alert) (emailMessage, error) {
	d := newTemplateData(a, e.opts.Name)
	subject, err := render(e.tpl.emailSubject, d)
	if err != nil {
		return emailMessage{}, err
	}
	text, err := render(e.tpl.emailText, d)
	if err != nil {
		return emailMessage{}, err
	}
	html, err := render(e.tpl.emailHTML, d)
	if err != nil {
		return emailMessage{}, err
	}
	return emailMessage{From: e.from, To: e.to, Subject: subject, Text: text, HTML: html,
		Date: e.opts.Now(), ID: DedupKey(a) + "\x00" + e.opts.Name, IdempotencyKey: IdempotencyKey(a, e.opts.Name)}, nil
}

// Send runs one SMTP transaction. 4xx replies and network failures are
// retryable; 5xx replies (unknown recipient, rejected auth) are permanent.
func (e *Email) Send(ctx context.Context, a alert.Alert) error {
	msg, err := e.message(a)
	if err != nil {
		return Permanent(fmt.Errorf("email: %w", err))
	}
	err = e.transact(ctx, msg)
	return scrubError(classifySMTP(err), e.opts.Password)
}

func (e *Email) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.opts.TLSConfig != nil {
		c = e.opts.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = e.opts.Host
	}
	return c
}

func (e *Email) transact(ctx context.Context, msg emailMessage) error {
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	addr := net.JoinHostPort(e.opts.Host, strconv.Itoa(e.opts.Port))
	var conn net.Conn
	var err error
	if e.opts.Security == SMTPTLS {
		conn, err = (&tls.Dialer{Config: e.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("email: connect: %w", err)
	}
	// net/smtp has no context support: a deadline bounds every read and
	// write, and closing the connection aborts a transaction on cancel.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, e.opts.Host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("email: greeting: %w", err)
	}
	defer func() { _ = c.Close() }()
	if err := c.Hello(e.opts.LocalName); err != nil {
		return fmt.Errorf("email: EHLO: %w", err)
	}
	if e.opts.Security == SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return Permanent(errors.New("email: server does not offer STARTTLS (set security: none to send in clear text)"))
		}
		if err := c.StartTLS(e.tlsConfig()); err != nil {
			return fmt.Errorf("email: STARTTLS: %w", err)
		}
	}
	if e.opts.Username != "" {
		if _, isTLS := c.TLSConnectionState(); !isTLS {
			return Permanent(errors.New("email: refusing AUTH PLAIN over a connection without TLS"))
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return Permanent(errors.New("email: server does not offer AUTH"))
		}
		if err := c.Auth(smtp.PlainAuth("", e.opts.Username, e.opts.Password.Reveal(), e.opts.Host)); err != nil {
			return fmt.Errorf("email: AUTH: %w", err)
		}
	}
	if err := c.Mail(msg.From.Address); err != nil {
		return fmt.Errorf("email: MAIL FROM: %w", err)
	}
	for _, r := range msg.To {
		if err := c.Rcpt(r.Address); err != nil {
			return fmt.Errorf("email: RCPT TO %s: %w", r.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("email: DATA: %w", err)
	}
	if _, err := w.Write(msg.bytes()); err != nil {
		return fmt.Errorf("email: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email: end of DATA: %w", err)
	}
	// The message was accepted at the end of DATA; a failed QUIT is noise.
	_ = c.Quit()
	return nil
}

// classifySMTP marks 5xx replies permanent and everything else retryable.
func classifySMTP(err error) error {
	if err == nil {
		return nil
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return err
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return Retryable(err, 0)
}
