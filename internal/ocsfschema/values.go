package ocsfschema

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// value checks one attribute value: array shape, data type, enum, object.
func (v *validator) value(path string, val any, a *Attr) {
	if a.IsArray {
		list, ok := val.([]any)
		if !ok {
			v.errorf(path, "want an array of %s, got %s", a.Type, kindOf(val))
			return
		}
		for i, x := range list {
			v.scalarOrObject(fmt.Sprintf("%s[%d]", path, i), x, a)
		}
		return
	}
	v.scalarOrObject(path, val, a)
}

func (v *validator) scalarOrObject(path string, val any, a *Attr) {
	if val == nil {
		v.errorf(path, "null is not a %s", a.Type)
		return
	}
	if dt, ok := v.s.dataType(a.Type); ok {
		v.primitive(path, val, a, dt)
		return
	}
	obj, ok := val.(map[string]any)
	if !ok {
		v.errorf(path, "want object %s, got %s", a.Type, kindOf(val))
		return
	}
	if a.Type == "object" { // free-form, e.g. unmapped
		return
	}
	t, err := v.s.Object(a.Type)
	if err != nil {
		v.errorf(path, "%v", err)
		return
	}
	v.object(path, obj, t)
}

func (v *validator) primitive(path string, val any, a *Attr, dt *dataType) {
	switch dt.base {
	case "json_t":
		return
	case "string_t":
		s, ok := val.(string)
		if !ok {
			v.errorf(path, "want %s (string), got %s", a.Type, kindOf(val))
			return
		}
		if dt.maxLen > 0 && utf8.RuneCountInString(s) > dt.maxLen {
			v.errorf(path, "longer than %d characters", dt.maxLen)
		}
		for _, re := range dt.regex {
			if !re.MatchString(s) {
				v.errorf(path, "%q does not match the %s pattern", s, a.Type)
			}
		}
		if a.Enum != nil {
			if _, ok := a.Enum[s]; !ok {
				v.errorf(path, "%q is not one of %s", s, strings.Join(a.EnumKeys(), ", "))
			}
		}
	case "boolean_t":
		if _, ok := val.(bool); !ok {
			v.errorf(path, "want boolean, got %s", kindOf(val))
		}
	case "integer_t", "long_t":
		n, ok := intValue(val)
		if !ok {
			v.errorf(path, "want %s (integer), got %s", a.Type, kindOf(val))
			return
		}
		if dt.base == "integer_t" && (n > math.MaxInt32 || n < math.MinInt32) {
			v.errorf(path, "%d does not fit a 32-bit integer_t", n)
		}
		if dt.rng != nil && (float64(n) < dt.rng[0] || float64(n) > dt.rng[1]) {
			v.errorf(path, "%d is outside %v", n, dt.rng)
		}
		if a.Enum != nil && !isClassification(a.Name) {
			if _, ok := a.Enum[strconv.FormatInt(n, 10)]; !ok {
				v.errorf(path, "%d is not one of %s", n, strings.Join(a.EnumKeys(), ", "))
			}
		}
	case "float_t":
		if _, ok := floatValue(val); !ok {
			v.errorf(path, "want number, got %s", kindOf(val))
		}
	default:
		v.errorf(path, "unsupported base data type %s", dt.base)
	}
}

func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

func floatValue(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int, int64:
		i, _ := intValue(n)
		return float64(i), true
	}
	return 0, false
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number, float64, int, int64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
