package detect

import (
	"strings"
	"testing"
)

// ruleWith wraps a detection body in a minimal CloudTrail rule.
func ruleWith(detection string) string {
	return "title: t\nid: 11111111-2222-4333-8444-555555555555\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n" +
		indent(detection, "    ")
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}

const matchEvent = `{
  "eventSource": "kms.amazonaws.com", "eventName": "ScheduleKeyDeletion", "awsRegion": "us-east-1",
  "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.30",
  "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
    "sessionContext": {"attributes": {"mfaAuthenticated": "true"}}},
  "requestParameters": {"keyId": "1234abcd", "pendingWindowInDays": 7, "path": "C:\\Temp\\a*b", "note": "line1\nline2"},
  "responseElements": null,
  "readOnly": false,
  "resources": [{"type": "AWS::KMS::Key", "ARN": "arn:aws:kms:us-east-1:111122223333:key/1234abcd"}, {"type": "AWS::S3::Bucket"}],
  "tags": ["Alpha", "beta"],
  "blob": "cHJlZml4IGtpbGwgdGhlIGtleSBzdWZmaXg="
}`

func TestMatchSemantics(t *testing.T) {
	tests := []struct {
		name      string
		detection string
		want      bool
	}{
		{"exact case-insensitive", "sel:\n    eventName: schedulekeydeletion\ncondition: sel", true},
		{"cased exact fails on case", "sel:\n    eventName|cased: schedulekeydeletion\ncondition: sel", false},
		{"cased exact", "sel:\n    eventName|cased: ScheduleKeyDeletion\ncondition: sel", true},
		{"value list is OR", "sel:\n    eventName:\n        - DisableKey\n        - ScheduleKeyDeletion\ncondition: sel", true},
		{"map is AND", "sel:\n    eventName: ScheduleKeyDeletion\n    awsRegion: eu-west-1\ncondition: sel", false},
		{"list of maps is OR", "sel:\n    - awsRegion: eu-west-1\n    - eventName: ScheduleKeyDeletion\ncondition: sel", true},
		{"wildcard star", "sel:\n    eventName: Schedule*Deletion\ncondition: sel", true},
		{"wildcard question", "sel:\n    awsRegion: us-east-?\ncondition: sel", true},
		{"question needs one char", "sel:\n    awsRegion: us-east-1?\ncondition: sel", false},
		{"escaped star is literal", "sel:\n    requestParameters.path: 'C:\\Temp\\a\\*b'\ncondition: sel", true},
		{"escaped star does not wildcard", "sel:\n    requestParameters.path: 'C:\\Temp\\a\\*'\ncondition: sel", false},
		{"contains", "sel:\n    userIdentity.arn|contains: ROLE/ADMIN\ncondition: sel", true},
		{"startswith", "sel:\n    userIdentity.arn|startswith: 'arn:aws:sts::'\ncondition: sel", true},
		{"endswith", "sel:\n    userIdentity.arn|endswith: /alice\ncondition: sel", true},
		{"endswith fails", "sel:\n    userIdentity.arn|endswith: /bob\ncondition: sel", false},
		{"contains all", "sel:\n    userIdentity.arn|contains|all:\n        - Admin\n        - alice\ncondition: sel", true},
		{"contains all fails", "sel:\n    userIdentity.arn|contains|all:\n        - Admin\n        - bob\ncondition: sel", false},
		{"re is case-sensitive", "sel:\n    eventName|re: '^schedule'\ncondition: sel", false},
		{"re with i", "sel:\n    eventName|re|i: '^schedule'\ncondition: sel", true},
		{"re unanchored", "sel:\n    eventName|re: 'Key(Deletion|Rotation)$'\ncondition: sel", true},
		{"re with s", "sel:\n    requestParameters.note|re|s: 'line1.line2'\ncondition: sel", true},
		{"re without s", "sel:\n    requestParameters.note|re: 'line1.line2'\ncondition: sel", false},
		{"re with m", "sel:\n    requestParameters.note|re|m: '^line2$'\ncondition: sel", true},
		{"cidr", "sel:\n    sourceIPAddress|cidr: 203.0.113.0/24\ncondition: sel", true},
		{"cidr miss", "sel:\n    sourceIPAddress|cidr:\n        - 10.0.0.0/8\n        - '2001:db8::/32'\ncondition: sel", false},
		{"exists true", "sel:\n    requestParameters.keyId|exists: true\ncondition: sel", true},
		{"exists on null field", "sel:\n    responseElements|exists: true\ncondition: sel", true},
		{"exists false", "sel:\n    errorCode|exists: false\ncondition: sel", true},
		{"null matches absent", "sel:\n    errorCode: null\ncondition: sel", true},
		{"null matches JSON null", "sel:\n    responseElements: null\ncondition: sel", true},
		{"null does not match a value", "sel:\n    eventName: null\ncondition: sel", false},
		{"empty string", "sel:\n    eventName: ''\ncondition: sel", false},
		{"number equals json number", "sel:\n    requestParameters.pendingWindowInDays: 7\ncondition: sel", true},
		{"string equals json number", "sel:\n    requestParameters.pendingWindowInDays: '7'\ncondition: sel", true},
		{"number differs", "sel:\n    requestParameters.pendingWindowInDays: 30\ncondition: sel", false},
		{"lte", "sel:\n    requestParameters.pendingWindowInDays|lte: 7\ncondition: sel", true},
		{"lt", "sel:\n    requestParameters.pendingWindowInDays|lt: 7\ncondition: sel", false},
		{"gt", "sel:\n    requestParameters.pendingWindowInDays|gt: 6.5\ncondition: sel", true},
		{"gte on string field", "sel:\n    eventName|gte: 1\ncondition: sel", false},
		{"bool equals json bool", "sel:\n    readOnly: false\ncondition: sel", true},
		{"bool equals string bool", "sel:\n    userIdentity.sessionContext.attributes.mfaAuthenticated: true\ncondition: sel", true},
		{"array fan-out", "sel:\n    resources.type: AWS::S3::Bucket\ncondition: sel", true},
		{"array leaf", "sel:\n    tags: alpha\ncondition: sel", true},
		{"array all", "sel:\n    tags|all:\n        - alpha\n        - BETA\ncondition: sel", true},
		{"neq", "sel:\n    awsRegion|neq: eu-west-1\ncondition: sel", true},
		{"neq equal", "sel:\n    awsRegion|neq: US-EAST-1\ncondition: sel", false},
		{"neq absent", "sel:\n    errorCode|neq: x\ncondition: sel", false},
		{"fieldref", "sel:\n    requestParameters.keyId|fieldref: requestParameters.keyId\ncondition: sel", true},
		{"fieldref differs", "sel:\n    eventName|fieldref: awsRegion\ncondition: sel", false},
		{"base64offset contains", "sel:\n    blob|base64offset|contains: kill the key\ncondition: sel", true},
		{"base64 contains miss", "sel:\n    blob|base64|contains: kill the key\ncondition: sel", false},
		{"base64 contains whole", "sel:\n    blob|base64: prefix kill the key suffix\ncondition: sel", true},
		{"keyword", "kw:\n    - ALICE\ncondition: kw", true},
		{"keyword number", "kw:\n    - 111122223333\ncondition: kw", true},
		{"keyword all", "kw:\n    '|all':\n        - alice\n        - AWS::S3::Bucket\ncondition: kw", true},
		{"keyword all miss", "kw:\n    '|all':\n        - alice\n        - mallory\ncondition: kw", false},
		{"not", "sel:\n    eventName: DisableKey\ncondition: not sel", true},
		{"and binds tighter than or", "a:\n    eventName: DisableKey\nb:\n    eventName: ScheduleKeyDeletion\nc:\n    awsRegion: eu-west-1\ncondition: b or a and c", true},
		{"parentheses", "a:\n    eventName: DisableKey\nb:\n    eventName: ScheduleKeyDeletion\nc:\n    awsRegion: eu-west-1\ncondition: (b or a) and c", false},
		{"not binds tighter than and", "a:\n    eventName: DisableKey\nb:\n    eventName: ScheduleKeyDeletion\ncondition: not a and b", true},
		{"1 of pattern", "sel_a:\n    eventName: DisableKey\nsel_b:\n    eventName: ScheduleKeyDeletion\ncondition: 1 of sel_*", true},
		{"all of pattern", "sel_a:\n    eventName: DisableKey\nsel_b:\n    eventName: ScheduleKeyDeletion\ncondition: all of sel_*", false},
		{"all of them skips underscore", "sel:\n    eventName: ScheduleKeyDeletion\n_x:\n    eventName: DisableKey\ncondition: all of them", true},
		{"1 of them", "a:\n    eventName: DisableKey\nb:\n    awsRegion: us-east-1\ncondition: 1 of them", true},
		{"not 1 of", "f_a:\n    eventName: DisableKey\nf_b:\n    awsRegion: eu-west-1\ncondition: not 1 of f_*", true},
		{"condition list is OR", "a:\n    eventName: DisableKey\nb:\n    awsRegion: us-east-1\ncondition:\n    - a\n    - b", true},
		{"keywords case-insensitive AND", "sel:\n    eventName: ScheduleKeyDeletion\ncondition: sel AND NOT sel", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := mustParse(t, ruleWith(tt.detection))
			eng, err := NewEngine(set, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := len(eng.Match(record(t, matchEvent))) == 1
			if got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRejectUnsupported(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{"expand", ruleWith("sel:\n    userIdentity.arn|expand: '%Admins%'\ncondition: sel"), `modifier "expand" is not supported`},
		{"windash", ruleWith("sel:\n    userAgent|windash: '-x'\ncondition: sel"), `modifier "windash" is not supported`},
		{"unknown modifier", ruleWith("sel:\n    userAgent|sounds_like: x\ncondition: sel"), `unknown modifier "sounds_like"`},
		{"re lookahead", ruleWith("sel:\n    userAgent|re: 'a(?=b)'\ncondition: sel"), "regular expression"},
		{"re flag without re", ruleWith("sel:\n    userAgent|i: x\ncondition: sel"), `"i" is only valid after re`},
		{"all with one value", ruleWith("sel:\n    userAgent|contains|all: x\ncondition: sel"), "all modifier needs more than one value"},
		{"null in list", ruleWith("sel:\n    userAgent:\n        - x\n        - null\ncondition: sel"), "null cannot be part of a value list"},
		{"undefined identifier", ruleWith("sel:\n    userAgent: x\ncondition: sel and other"), `undefined search identifier "other"`},
		{"pattern matches nothing", ruleWith("sel:\n    userAgent: x\ncondition: 1 of filter_*"), "matches no search identifier"},
		{"aggregation", ruleWith("sel:\n    userAgent: x\ncondition: sel | count() > 5"), "aggregations"},
		{"timeframe", ruleWith("sel:\n    userAgent: x\ntimeframe: 5m\ncondition: sel"), "timeframe"},
		{"two of", ruleWith("sel:\n    userAgent: x\ncondition: 2 of sel*"), `only "1 of" and "all of"`},
		{"missing condition", ruleWith("sel:\n    userAgent: x"), "condition is required"},
		{"bad cidr", ruleWith("sel:\n    sourceIPAddress|cidr: 10.0.0.0/99\ncondition: sel"), "cidr"},
		{"gt needs number", ruleWith("sel:\n    x|gt: seven\ncondition: sel"), "gt needs a number"},
		{"re with contains", ruleWith("sel:\n    x|re|contains: a\ncondition: sel"), "cannot be combined"},
		{"map as value", ruleWith("sel:\n    x:\n        y: z\ncondition: sel"), "not a map"},
		{"correlation in ParseFile", "title: c\nid: 0e95725d-7320-415d-80f7-004da920fc11\ncorrelation:\n    type: temporal\n    rules: [a1, b1]\n    group-by: [x]\n    timespan: 1m\n", "load files with correlation rules with ParseRuleSet or LoadDir"},
		{"collection", "action: global\ntitle: g\n", "rule collections"},
		{"no title", "id: 11111111-2222-4333-8444-555555555555\nlogsource: {product: aws}\ndetection: {sel: {a: b}, condition: sel}\n", "title is required"},
		{"bad id", "title: t\nid: nope\nlogsource: {product: aws}\ndetection: {sel: {a: b}, condition: sel}\n", `id "nope" is not a UUID`},
		{"no id", "title: t\nlogsource: {product: aws}\ndetection: {sel: {a: b}, condition: sel}\n", "id is required"},
		{"bad level", "title: t\nid: 11111111-2222-4333-8444-555555555555\nlevel: severe\nlogsource: {product: aws}\ndetection: {sel: {a: b}, condition: sel}\n", `level "severe"`},
		{"no logsource", "title: t\nid: 11111111-2222-4333-8444-555555555555\ndetection: {sel: {a: b}, condition: sel}\n", "logsource is required"},
		{"no detection", "title: t\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: aws}\n", "detection is required"},
		{"bad tag", "title: t\nid: 11111111-2222-4333-8444-555555555555\ntags: [Attack T1]\nlogsource: {product: aws}\ndetection: {sel: {a: b}, condition: sel}\n", "tag"},
		{"bad sample", ruleWith("sel:\n    a: b\ncondition: sel") + "kmsguard:\n    tests:\n        match:\n            - name: broken\n              event: '{nope'\n", `"broken"`},
		{"not yaml", "title: [unclosed\n", "test.yml"},
		{"empty file", "", "no Sigma rule in file"},
		{"unknown sample capability", ruleWith("sel:\n    a: b\ncondition: sel") + "kmsguard:\n    tests:\n        match:\n            - name: x\n              needs: [magic]\n              event: '{}'\n", `needs "magic"`},
		{"second document broken", ruleWith("sel:\n    a: b\ncondition: sel") + "---\ntitle: second\n", "(document 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseFile("test.yml", []byte(tt.doc))
			if err == nil {
				t.Fatalf("loaded; want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "test.yml") {
				t.Errorf("error %q: want it to start with the file name and contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMultipleDocuments(t *testing.T) {
	second := strings.Replace(ruleWith("sel:\n    eventName: EnableKey\ncondition: sel"),
		"11111111-2222-4333-8444-555555555555", "11111111-2222-4333-8444-666666666666", 1)
	doc := ruleWith("sel:\n    eventName: DisableKey\ncondition: sel") + "---\n" + second + "---\n"
	rules, _, err := ParseFile("two.yml", []byte(doc))
	if err != nil || len(rules) != 2 {
		t.Fatalf("got %d rules, err %v; want 2 rules and the trailing empty document ignored", len(rules), err)
	}
}

func TestEngineRejects(t *testing.T) {
	windows := "title: w\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: windows, service: security}\ndetection: {sel: {EventID: 1}, condition: sel}\n"
	set := mustParse(t, windows)
	set.Rules[0].File = "rules/win.yml"
	if _, err := NewEngine(set, Options{}); err == nil || !strings.Contains(err.Error(), "rules/win.yml") || !strings.Contains(err.Error(), "product=windows") {
		t.Errorf("windows rule: err = %v, want a logsource error naming the file", err)
	}
	ecs := mustParse(t, "taxonomy: ecs\n"+ruleWith("sel:\n    event.action: DisableKey\ncondition: sel"))
	if _, err := NewEngine(ecs, Options{}); err == nil || !strings.Contains(err.Error(), `taxonomy "ecs" is not supported`) {
		t.Errorf("ecs taxonomy: err = %v", err)
	}
	dup := mustParse(t, ruleWith("sel:\n    a: b\ncondition: sel"))
	dup.Add(mustParse(t, ruleWith("sel:\n    a: c\ncondition: sel")))
	if _, err := NewEngine(dup, Options{}); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("duplicate ids: err = %v", err)
	}
	orphan := mustParse(t, ruleWith("sel:\n    a: b\ncondition: sel"))
	orphan.Add(mustParse(t, "title: f\nlogsource: {product: aws, service: cloudtrail}\nfilter:\n    rules: [99999999-2222-4333-8444-555555555555]\n    selection: {a: b}\n    condition: selection\n"))
	if _, err := NewEngine(orphan, Options{}); err == nil || !strings.Contains(err.Error(), "is not loaded") {
		t.Errorf("filter naming a missing rule: err = %v", err)
	}
}

func TestParseCondition(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a", "a"},
		{"a or b and c", "(a or (b and c))"},
		{"not a and b", "(not a and b)"},
		{"not (a or b)", "not (a or b)"},
		{"a and not 1 of f*", "(a and not 1 of f*)"},
		{"all of them or x", "(all of them or x)"},
		{"A AND b Or c", "((A and b) or c)"},
		{"((a))", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := parseCondition(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "a and", "(a", "a)", "a b", "sel*", "1 of", "and a", "a or or b", "any of x", "a | count()", "a = b"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if e, err := parseCondition(bad); err == nil {
				t.Errorf("parsed %q as %v; want an error", bad, e)
			}
		})
	}
}
