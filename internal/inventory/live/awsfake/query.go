package awsfake

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// fixedTime is the creation time of things the model does not date.
var fixedTime = time.Date(2024, 3, 1, 10, 20, 30, 123000000, time.UTC)

// xmlDoc builds an XML response element by element.
type xmlDoc struct{ b strings.Builder }

func (d *xmlDoc) open(name string)  { d.b.WriteString("<" + name + ">") }
func (d *xmlDoc) close(name string) { d.b.WriteString("</" + name + ">") }

func (d *xmlDoc) text(name, value string) {
	d.open(name)
	d.escaped(value)
	d.close(name)
}

// escaped writes value as XML character data.
func (d *xmlDoc) escaped(value string) {
	_ = xml.EscapeText(&d.b, []byte(value)) // a strings.Builder never fails a write
}

func (d *xmlDoc) time(name string, t time.Time) {
	d.text(name, t.UTC().Format("2006-01-02T15:04:05Z"))
}

// list writes <name><member>..</member>...</name>, with an empty
// element for an empty list, as IAM does.
func (d *xmlDoc) list(name string, n int, member func(i int)) {
	d.open(name)
	for i := range n {
		d.open("member")
		member(i)
		d.close("member")
	}
	d.close(name)
}

// writeQuery answers a Query-protocol request: <XResponse><XResult>..
// </XResult><ResponseMetadata>..</ResponseMetadata></XResponse>.
func writeQuery(w http.ResponseWriter, service, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	// A write fails only when the client hung up.
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<` + action + `Response xmlns="` + namespace(service) + `"><` + action + `Result>` + result +
		`</` + action + `Result><ResponseMetadata><RequestId>fake-request-id</RequestId></ResponseMetadata></` + action + `Response>`))
}

// writeQueryError answers with the service's XML error document: IAM and
// STS use <ErrorResponse><Error><Type>..<Code>..<Message>.., EC2 uses
// <Response><Errors><Error><Code>..<Message>...
func writeQueryError(w http.ResponseWriter, service string, status int, code, message string) {
	var d xmlDoc
	if service == "ec2" {
		d.open("Response")
		d.open("Errors")
		d.open("Error")
		d.text("Code", code)
		d.text("Message", message)
		d.close("Error")
		d.close("Errors")
		d.text("RequestID", "fake-request-id")
		d.close("Response")
	} else {
		d.b.WriteString(`<ErrorResponse xmlns="` + namespace(service) + `">`)
		d.open("Error")
		d.text("Type", "Sender")
		d.text("Code", code)
		d.text("Message", message)
		d.close("Error")
		d.text("RequestId", "fake-request-id")
		d.close("ErrorResponse")
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + d.b.String())) // fails only when the client hung up
}

func namespace(service string) string {
	switch service {
	case "iam":
		return "https://iam.amazonaws.com/doc/2010-05-08/"
	case "sts":
		return "https://sts.amazonaws.com/doc/2011-06-15/"
	default:
		return "http://ec2.amazonaws.com/doc/2016-11-15/"
	}
}

// encodeDocument URL-encodes a policy document as IAM returns it.
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
