package clijson

import (
	"encoding/json"
	"testing"
	"time"
)

func TestFormatTimestamp(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{name: "milliseconds become six digits", in: time.Date(2024, 3, 1, 10, 20, 30, 123000000, time.UTC), want: "2024-03-01T10:20:30.123000+00:00"},
		{name: "whole second has no fraction", in: time.Date(2024, 3, 1, 10, 20, 30, 0, time.UTC), want: "2024-03-01T10:20:30+00:00"},
		{name: "other zone is written in UTC", in: time.Date(2024, 3, 1, 3, 20, 30, 5000, time.FixedZone("PDT", -7*3600)), want: "2024-03-01T10:20:30.000005+00:00"},
		{name: "nanoseconds round to microseconds", in: time.Date(2024, 3, 1, 10, 20, 30, 999999600, time.UTC), want: "2024-03-01T10:20:31+00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatTimestamp(tt.in); got != tt.want {
				t.Errorf("FormatTimestamp = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodePolicyDocument(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "url encoded object keeps key order", in: "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D", want: `{"Version":"2012-10-17","Statement":[]}`},
		{name: "plus stays plus", in: "%7B%22Sid%22%3A%22a+b%22%7D", want: `{"Sid":"a+b"}`},
		{name: "already plain JSON", in: `{"b":1,"a":2}`, want: `{"b":1,"a":2}`},
		{name: "not JSON stays a string", in: "not%20json", want: `"not json"`},
		{name: "bad escape stays the raw string", in: "%zz", want: `"%zz"`},
		{name: "JSON that is not an object stays a string", in: "%5B1%5D", want: `"[1]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(DecodePolicyDocument(&tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	if DecodePolicyDocument(nil) != nil {
		t.Error("nil document must stay absent")
	}
}

func FuzzDecodePolicyDocument(f *testing.F) {
	for _, seed := range []string{"%7B%22a%22%3A1%7D", `{"a":[1,{"b":null}]}`, "%", "%7B", "\"", "[]", "{\"a\":\"\\u2028\"}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		doc := DecodePolicyDocument(&in)
		data, err := Marshal(struct {
			D *PolicyDocument `json:"D"`
		}{doc})
		if err != nil {
			t.Fatalf("document from %q does not marshal: %v", in, err)
		}
		if !json.Valid(data) {
			t.Fatalf("invalid JSON from %q: %s", in, data)
		}
	})
}
