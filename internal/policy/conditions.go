package policy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// lowerContext is a request context with lower-cased keys, because
// condition keys are case-insensitive.
type lowerContext map[string][]string

// positiveOf returns the positive operator a negated one negates. AWS
// evaluates a negated operator with several values as NOR, and as true
// when the key is absent.
func positiveOf(op string) (string, bool) {
	switch op {
	case "StringNotEquals":
		return "StringEquals", true
	case "StringNotEqualsIgnoreCase":
		return "StringEqualsIgnoreCase", true
	case "StringNotLike":
		return "StringLike", true
	case "NumericNotEquals":
		return "NumericEquals", true
	case "DateNotEquals":
		return "DateEquals", true
	case "NotIpAddress":
		return "IpAddress", true
	case "ArnNotEquals":
		return "ArnEquals", true
	case "ArnNotLike":
		return "ArnLike", true
	}
	return op, false
}

// evalCondition decides one condition against the request context, with
// AWS's rules: an absent key makes positive operators false and negated
// ones true, ...IfExists makes an absent key true, Null tests presence,
// ForAllValues is true on an empty or absent set and ForAnyValue false.
func evalCondition(c Condition, ctx lowerContext, variables bool) bool {
	vals, present := ctx[strings.ToLower(c.Key)]
	present = present && len(vals) > 0
	if c.Base == "Null" {
		for _, want := range c.Values {
			if strings.EqualFold(want, "true") == !present {
				return true
			}
		}
		return false
	}
	positive, negated := positiveOf(c.Base)
	single := func(v string) bool {
		m := false
		for _, pv := range c.Values {
			if matchValue(positive, pv, v, ctx, variables) {
				m = true
				break
			}
		}
		return m != negated
	}
	switch c.Set {
	case SetForAllValues:
		for _, v := range vals {
			if !single(v) {
				return false
			}
		}
		return true
	case SetForAnyValue:
		if !present {
			return c.IfExists
		}
		for _, v := range vals {
			if single(v) {
				return true
			}
		}
		return false
	}
	if !present {
		return c.IfExists || negated
	}
	// A multi-valued key without a set qualifier: a positive operator holds
	// when any value matches, a negated one when no value matches.
	for _, v := range vals {
		if single(v) != negated {
			return !negated
		}
	}
	return negated
}

// matchValue applies a positive operator to one policy value and one
// context value.
func matchValue(op, policyValue, v string, ctx lowerContext, variables bool) bool {
	switch op {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike":
		g, ok := compileGlob(policyValue, variables).resolve(ctx)
		if !ok {
			return false
		}
		if op == "StringLike" {
			return g.match(v, false)
		}
		lit := literalText(g)
		if op == "StringEqualsIgnoreCase" {
			return strings.EqualFold(lit, v)
		}
		return lit == v
	case "ArnEquals", "ArnLike":
		g, ok := compileGlob(policyValue, variables).resolve(ctx)
		if !ok {
			return false
		}
		return matchARN(g, v)
	case "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals":
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(policyValue, 64)
		return err1 == nil && err2 == nil && compareOrdered(op, a, b)
	case "DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals":
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(policyValue)
		return ok1 && ok2 && compareOrdered(op, a.UnixNano(), b.UnixNano())
	case "Bool":
		return strings.EqualFold(v, policyValue)
	case "BinaryEquals":
		want, err := base64.StdEncoding.DecodeString(policyValue)
		if err != nil {
			return false
		}
		got, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			got = []byte(v)
		}
		return bytes.Equal(want, got)
	case "IpAddress":
		return ipInRange(v, policyValue)
	}
	return false
}

// literalText turns a pattern back into text, with '*' and '?' literal:
// StringEquals does not treat them as wildcards.
func literalText(g glob) string {
	var b strings.Builder
	for _, t := range g {
		switch t.kind {
		case globStar:
			b.WriteByte('*')
		case globAny:
			b.WriteByte('?')
		default:
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// matchARN compares ARNs the way ArnLike does: each of the six
// colon-separated parts separately, wildcards within a part.
func matchARN(pattern glob, arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return false
	}
	var segs []glob
	start := 0
	for i, t := range pattern {
		if t.kind == globLit && t.r == ':' && len(segs) < 5 {
			segs = append(segs, pattern[start:i])
			start = i + 1
		}
	}
	segs = append(segs, pattern[start:])
	if len(segs) != 6 {
		return false
	}
	for i := range segs {
		if !segs[i].match(parts[i], false) {
			return false
		}
	}
	return true
}

func compareOrdered[T int64 | float64](op string, a, b T) bool {
	switch {
	case strings.HasSuffix(op, "LessThanEquals"):
		return a <= b
	case strings.HasSuffix(op, "LessThan"):
		return a < b
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return a >= b
	case strings.HasSuffix(op, "GreaterThan"):
		return a > b
	default:
		return a == b
	}
}

// parseDate accepts the ISO 8601 forms AWS documents and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ipInRange reports whether the address ip lies in cidr (a prefix, or a
// single address).
func ipInRange(ip, cidr string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	if !strings.Contains(cidr, "/") {
		want, err := netip.ParseAddr(cidr)
		return err == nil && want.Unmap() == addr.Unmap()
	}
	prefix, err := netip.ParsePrefix(cidr)
	return err == nil && prefix.Contains(addr.Unmap())
}
