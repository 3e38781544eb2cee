package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// emailMessage is a rendered e-mail ready to serialise.
type emailMessage struct {
	From    *mail.Address
	To      []*mail.Address
	Subject string
	Text    string
	HTML    string
	Date    time.Time
	// ID seeds the Message-ID and the MIME boundary, so the same alert to the
	// same channel always has the same Message-ID (mail clients and
	// archives then collapse a redelivery) and golden files are stable.
	ID string
	// IdempotencyKey goes into the X-Kmsguard-Idempotency-Key header.
	IdempotencyKey string
}

// bytes serialises the message as RFC 5322 with a multipart/alternative
// body (text first, HTML preferred), CRLF line endings, quoted-printable
// parts and RFC 2047 encoded words for non-ASCII header text.
func (m emailMessage) bytes() []byte {
	sum := sha256.Sum256([]byte(m.ID))
	tag := hex.EncodeToString(sum[:12])
	domain := "kmsguard.invalid"
	if at := strings.LastIndexByte(m.From.Address, '@'); at >= 0 {
		domain = m.From.Address[at+1:]
	}
	boundary := "kmsguard-" + tag
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("Date", m.Date.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+tag+"@"+domain+">")
	hdr("From", m.From.String())
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = a.String()
	}
	hdr("To", strings.Join(to, ", "))
	// Encoded words are folded onto continuation lines to keep header lines
	// short (RFC 5322 section 2.1.1, RFC 2047 section 2).
	hdr("Subject", strings.ReplaceAll(mime.QEncoding.Encode("utf-8", oneLine(m.Subject)), "?= =?", "?=\r\n =?"))
	hdr("MIME-Version", "1.0")
	hdr("Auto-Submitted", "auto-generated")
	if m.IdempotencyKey != "" {
		hdr(HeaderEmailIdempotencyKey, m.IdempotencyKey)
	}
	hdr("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	part := func(ctype, body string) {
		b.WriteString("--" + boundary + "\r\n")
		hdr("Content-Type", ctype+"; charset=utf-8")
		hdr("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		w := quotedprintable.NewWriter(&b)
		_, _ = w.Write([]byte(crlf(body)))
		_ = w.Close()
		b.WriteString("\r\n")
	}
	part("text/plain", m.Text)
	part("text/html", m.HTML)
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes()
}

// oneLine folds any line breaks so a field cannot inject headers.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// crlf normalises line endings to CRLF as SMTP requires.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
