package inventory

import (
	"bytes"
	"context"
	"sort"
	"testing"
	"testing/fstest"
)

// FuzzLoad replaces one file of a valid snapshot with arbitrary bytes: Load
// must not panic, must still return the account, and every fact the file
// affected is either loaded or unknown with a reason; a parse failure is
// always reported as a problem naming the file.
func FuzzLoad(f *testing.F) {
	base := withOrg(minimal())
	names := make([]string, 0, len(base))
	for n := range base {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		f.Add(uint8(i), base[n].Data)
	}
	f.Add(uint8(0), []byte(`{"KeyMetadata":{"CreationDate":1e308}}`))
	f.Add(uint8(1), []byte(`{"Grants":[{"CreationDate":"2024-03-01T10:20:30.123000+00:00"}]}{}`))
	f.Add(uint8(2), []byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m := withOrg(minimal())
		target := names[int(which)%len(names)]
		m[target] = &fstest.MapFile{Data: data}
		accts, problems, err := Load(context.Background(), m, LoadOptions{Concurrency: 2})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if len(accts) != 1 {
			t.Fatalf("accounts: %d", len(accts))
		}
		reported := map[string]bool{}
		for _, p := range problems {
			if p.File == "" || p.Reason == "" {
				t.Errorf("problem without file or reason: %+v", p)
			}
			reported[p.File] = true
		}
		check := func(what string, rerr *ReadError) {
			if rerr == nil {
				return
			}
			if rerr.Code == "" || rerr.Call == "" {
				t.Errorf("%s: reason without code or call: %+v", what, rerr)
			}
			if rerr.Code == CodeParseError && !reported[rerr.File] {
				t.Errorf("%s: parse error in %s not reported as a problem", what, rerr.File)
			}
		}
		a := accts[0]
		check("caller", a.Caller.Reason())
		check("iam", a.IAM.Reason())
		check("scps", a.SCPs.Reason())
		check("ou path", a.OUPath.Reason())
		check("applicable scps", a.ApplicableSCPs().Reason())
		for _, k := range a.Keys {
			if k.ARN == "" {
				t.Errorf("key %s without ARN", k.ID)
			}
			check("metadata", k.Metadata.Reason())
			check("rotation", k.Rotation.Reason())
			check("policy", k.Policy.Reason())
			check("grants", k.Grants.Reason())
			check("tags", k.Tags.Reason())
			check("aliases", k.Aliases.Reason())
		}
	})
}

// withOrg adds organisation files to a single-account snapshot.
func withOrg(m fstest.MapFS) fstest.MapFS {
	m["organizations/policies/p-1.json"] = file(`{"Policy":{"PolicySummary":{"Id":"p-1","Name":"deny","Type":"SERVICE_CONTROL_POLICY"},"Content":"{\"Version\":\"2012-10-17\"}"}}`)
	m["organizations/targets/p-1.json"] = file(`{"Targets":[{"TargetId":"ou-1","Type":"ORGANIZATIONAL_UNIT"},{"TargetId":"r-1","Type":"ROOT"}]}`)
	m["organizations/parents/111122223333.json"] = file(`{"Parents":[{"Id":"ou-1","Type":"ORGANIZATIONAL_UNIT"}]}`)
	m["organizations/parents/ou-1.json"] = file(`{"Parents":[{"Id":"r-1","Type":"ROOT"}]}`)
	m["organizations/accounts.json"] = file(`{"Accounts":[{"Id":"111122223333","Name":"prod"}]}`)
	return m
}

// FuzzDecodeAuthDetails feeds arbitrary bytes to the parallel IAM decoder:
// it must not panic, and whatever it accepts the serial decoder must read
// with the same number of elements in every list unless the input repeats a
// list name (which the splitter concatenates and the serial decoder replaces).
func FuzzDecodeAuthDetails(f *testing.F) {
	f.Add([]byte(`{"Policies":[{"PolicyName":"a"},{"PolicyName":"b"}],"IsTruncated":false}`))
	f.Add([]byte(`{"UserDetailList":[]} {"RoleDetailList":[{"RoleName":"r","CreateDate":1700000000}]}`))
	f.Add([]byte(`{"RoleDetailList":[{"RoleName":"a\"]}"}]}`))
	f.Add([]byte(`{"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		par, err := decodeAuthDetails(data, 2)
		if err != nil {
			return
		}
		ser, serr := decodeAuthDetailsSerial(data)
		if serr != nil {
			return // the splitter skips values outside the four lists without validating them
		}
		if bytes.Count(data, []byte(`"`)) > 0 && hasRepeatedList(data) {
			return
		}
		if len(par.Policies) != len(ser.Policies) || len(par.RoleDetailList) != len(ser.RoleDetailList) ||
			len(par.UserDetailList) != len(ser.UserDetailList) || len(par.GroupDetailList) != len(ser.GroupDetailList) {
			t.Errorf("parallel %d/%d/%d/%d elements, serial %d/%d/%d/%d",
				len(par.UserDetailList), len(par.GroupDetailList), len(par.RoleDetailList), len(par.Policies),
				len(ser.UserDetailList), len(ser.GroupDetailList), len(ser.RoleDetailList), len(ser.Policies))
		}
	})
}

func hasRepeatedList(data []byte) bool {
	lower := bytes.ToLower(data)
	for name := range authLists {
		if bytes.Count(lower, []byte(`"`+name+`"`)) > 1 {
			return true
		}
	}
	return false
}
