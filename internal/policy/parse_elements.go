package policy

import (
	"strconv"
	"strings"
)

// principals reads a Principal or NotPrincipal element.
func (p *parser) principals(v *jsonValue, path string) (*Principals, *ParseError) {
	pr := &Principals{}
	if v.kind == jsonString {
		if v.text != "*" {
			return nil, p.errorf(v, path, "a principal given as a string must be \"*\", got %q (use {\"AWS\": ...})", v.text)
		}
		pr.Wildcard = true
		return pr, nil
	}
	if v.kind != jsonObject {
		return nil, p.errorf(v, path, "want \"*\" or an object such as {\"AWS\": ...}, got %s", v.kind)
	}
	for _, m := range v.members {
		mpath := path + "." + m.key
		values, err := p.stringList(m.value, mpath)
		if err != nil {
			return nil, err
		}
		switch m.key {
		case "AWS":
			for i, s := range values {
				switch {
				case s == "*":
					pr.Wildcard = true
				case IsAccountID(s):
					pr.AWS = append(pr.AWS, "arn:"+p.partition+":iam::"+s+":root")
				case strings.HasPrefix(s, "arn:"):
					pr.AWS = append(pr.AWS, s)
				default:
					return nil, p.errorf(m.value, mpath+"["+strconv.Itoa(i)+"]", "an AWS principal must be \"*\", a 12-digit account id or an ARN, got %q", s)
				}
			}
		case "Service":
			pr.Service = append(pr.Service, values...)
		case "Federated":
			pr.Federated = append(pr.Federated, values...)
		case "CanonicalUser":
			pr.CanonicalUser = append(pr.CanonicalUser, values...)
		default:
			return nil, newParseError(p.doc, m.keyOff, mpath, p.decoded, "unknown principal type "+strconv.Quote(m.key)+" (want AWS, Service, Federated or CanonicalUser)")
		}
	}
	return pr, nil
}

// IsAccountID reports whether s is an AWS account id: exactly 12 ASCII
// digits.
func IsAccountID[T string | []byte](s T) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isConditionBase reports whether op is a condition operator family AWS
// defines (without qualifier or IfExists suffix).
func isConditionBase(op string) bool {
	switch op {
	case "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
		"DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
		"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null":
		return true
	}
	return false
}

// splitOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
func splitOperator(op string) (base string, set SetQualifier, ifExists bool, ok bool) {
	base = op
	switch {
	case strings.HasPrefix(base, "ForAllValues:"):
		set, base = SetForAllValues, strings.TrimPrefix(base, "ForAllValues:")
	case strings.HasPrefix(base, "ForAnyValue:"):
		set, base = SetForAnyValue, strings.TrimPrefix(base, "ForAnyValue:")
	}
	if b, found := strings.CutSuffix(base, "IfExists"); found && b != "Null" {
		base, ifExists = b, true
	}
	return base, set, ifExists, isConditionBase(base)
}

// conditions reads a Condition block.
func (p *parser) conditions(v *jsonValue, path string) ([]Condition, *ParseError) {
	if v.kind != jsonObject {
		return nil, p.errorf(v, path, "Condition must be an object, got %s", v.kind)
	}
	var out []Condition
	for _, op := range v.members {
		opPath := path + "." + op.key
		base, set, ifExists, ok := splitOperator(op.key)
		if !ok {
			return nil, newParseError(p.doc, op.keyOff, opPath, p.decoded, "unknown condition operator "+strconv.Quote(op.key))
		}
		if op.value.kind != jsonObject {
			return nil, p.errorf(op.value, opPath, "a condition operator must map condition keys to values, got %s", op.value.kind)
		}
		seen := map[string]string{}
		for _, kv := range op.value.members {
			kpath := opPath + "." + kv.key
			if prev, dup := seen[strings.ToLower(kv.key)]; dup {
				return nil, newParseError(p.doc, kv.keyOff, kpath, p.decoded, "condition key "+strconv.Quote(kv.key)+" repeats "+strconv.Quote(prev)+" (condition keys are case-insensitive)")
			}
			seen[strings.ToLower(kv.key)] = kv.key
			values, err := p.conditionValues(kv.value, kpath)
			if err != nil {
				return nil, err
			}
			if base == "Null" || base == "Bool" {
				for _, s := range values {
					if b := strings.ToLower(s); b != "true" && b != "false" {
						return nil, p.errorf(kv.value, kpath, "%s wants \"true\" or \"false\", got %q", base, s)
					}
				}
			}
			out = append(out, Condition{Operator: op.key, Base: base, Set: set, IfExists: ifExists, Key: kv.key, Values: values})
		}
	}
	return out, nil
}

// conditionValues reads condition values: strings, numbers or booleans, one
// or a list. Numbers and booleans keep their JSON text.
func (p *parser) conditionValues(v *jsonValue, path string) ([]string, *ParseError) {
	scalar := func(x *jsonValue, path string) (string, *ParseError) {
		switch x.kind {
		case jsonString, jsonNumber, jsonBool:
			return x.text, nil
		default:
			return "", p.errorf(x, path, "a condition value must be a string, number or boolean, got %s", x.kind)
		}
	}
	if v.kind != jsonArray {
		s, err := scalar(v, path)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	out := make([]string, 0, len(v.items))
	for i, item := range v.items {
		s, err := scalar(item, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
