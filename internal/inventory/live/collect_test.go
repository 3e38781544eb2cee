package live

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

var update = flag.Bool("update", false, "rewrite the golden snapshots under testdata/")

// checkGolden compares every file of the collected snapshot with
// testdata/<name>/, and the file list with the golden directory's list.
func checkGolden(t *testing.T, name string, got *MemSink) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for _, n := range got.Names() {
			data, _ := fs.ReadFile(got, n)
			if err := (DirSink{Root: dir}).WriteFile(n, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		want = append(want, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatalf("read golden snapshot %s (run with -update to create it): %v", dir, err)
	}
	if diff := cmp.Diff(want, got.Names()); diff != "" {
		t.Errorf("snapshot files differ from %s (-want +got):\n%s", dir, diff)
	}
	for _, n := range got.Names() {
		wantData, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			continue // reported by the list diff
		}
		gotData, _ := fs.ReadFile(got, n)
		if diff := cmp.Diff(string(wantData), string(gotData)); diff != "" {
			t.Errorf("%s differs (-want +got):\n%s", n, diff)
		}
	}
}

func failureFiles(s Summary) map[string]string {
	out := map[string]string{}
	for _, f := range s.Failures {
		out[f.File] = f.Code
	}
	return out
}

func TestCollectSingleAccount(t *testing.T) {
	srv := awsfake.New(fakeWorld())
	defer srv.Close()
	o := fakeOptions(t, srv, "AKIAFAKEMGMT")
	o.Regions = []string{"us-east-1", "eu-west-1", "ap-east-1"}
	o.Progress = &Progress{}
	sink := NewMemSink()
	sum, err := Collect(context.Background(), o, sink)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "single", sink)
	p := o.Progress
	progress := []int64{p.AccountsDone.Load(), p.AccountsTotal.Load(), p.RegionsDone.Load(), p.RegionsTotal.Load(), p.KeysDone.Load(), p.KeysTotal.Load()}
	if diff := cmp.Diff([]int64{1, 1, 3, 3, 5, 5}, progress); diff != "" {
		t.Errorf("progress counters (accounts, regions, keys done/total) (-want +got):\n%s", diff)
	}

	wantFailures := map[string]string{
		"kms/ap-east-1.error.json": "UnrecognizedClientException",
		"kms/eu-west-1/keys/3333cccc-12ab-34cd-56ef-1234567890ab/key-rotation-status.error.json": "UnsupportedOperationException",
		"kms/eu-west-1/keys/4444dddd-12ab-34cd-56ef-1234567890ab/key-policy.error.json":          "AccessDeniedException",
	}
	if diff := cmp.Diff(wantFailures, failureFiles(sum)); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if !sum.Partial() || sum.Accounts != 1 || sum.Regions != 2 || sum.Keys != 5 || len(sum.Notes) != 0 {
		t.Errorf("summary = %+v, want partial, 1 account, 2 regions, 5 keys, no notes", sum)
	}
	// PageSize 2 makes the SDK paginators follow markers.
	stats := srv.Stats()
	for op, min := range map[string]int64{
		"kms:ListKeys": 3, "kms:ListAliases": 3, "iam:GetAccountAuthorizationDetails": 3,
		"kms:ListGrants": 6, "kms:ListResourceTags": 5,
	} {
		if stats.Calls[op] < min {
			t.Errorf("%s called %d times, want at least %d (pagination)", op, stats.Calls[op], min)
		}
	}
	if stats.Calls["kms:ListResourceTags"] != 5 {
		// 4 customer keys, one of them with two pages; the AWS managed key is not asked.
		t.Errorf("ListResourceTags called %d times, want 5", stats.Calls["kms:ListResourceTags"])
	}
}

func TestCollectAllRegions(t *testing.T) {
	srv := awsfake.New(fakeWorld())
	defer srv.Close()
	o := fakeOptions(t, srv, "AKIAFAKEMGMT")
	o.Regions = []string{AllRegions}
	sink := NewMemSink()
	sum, err := Collect(context.Background(), o, sink)
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	entries, _ := fs.ReadDir(sink, "kms")
	for _, e := range entries {
		regions = append(regions, e.Name())
	}
	if diff := cmp.Diff([]string{"eu-west-1", "us-east-1"}, regions); diff != "" {
		t.Errorf("regions collected (-want +got); the disabled ap-east-1 must not be listed:\n%s", diff)
	}
	if sum.Regions != 2 || srv.Stats().Calls["ec2:DescribeRegions"] != 1 {
		t.Errorf("summary %+v, DescribeRegions calls %d", sum, srv.Stats().Calls["ec2:DescribeRegions"])
	}
}

func TestCollectOrganization(t *testing.T) {
	srv := awsfake.New(fakeWorld())
	defer srv.Close()
	o := fakeOptions(t, srv, "AKIAFAKEMGMT")
	o.Org, o.Role, o.ExternalID = true, "kmsguard-audit", "ext-123"
	sink := NewMemSink()
	sum, err := Collect(context.Background(), o, sink)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "org", sink)
	got := failureFiles(sum)
	if got["accounts/333333333333.error.json"] != "AccessDenied" {
		t.Errorf("failures %v: want accounts/333333333333.error.json AccessDenied", got)
	}
	if sum.Accounts != 2 {
		t.Errorf("accounts collected = %d, want 2", sum.Accounts)
	}
	for _, n := range []string{"accounts/111111111111/account.json", "accounts/222222222222/kms/eu-west-1/keys/6666ffff-12ab-34cd-56ef-1234567890ab/describe-key.json", "organizations/accounts.json", "organizations/parents/ou-prod.json"} {
		if _, err := fs.Stat(sink, n); err != nil {
			t.Errorf("%s missing: %v", n, err)
		}
	}
}

func TestCollectOrganizationSubsetAndExternalID(t *testing.T) {
	tests := []struct {
		name       string
		externalID string
		wantCode   string
	}{
		{name: "right external id", externalID: "ext-123"},
		{name: "wrong external id", externalID: "nope", wantCode: "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awsfake.New(fakeWorld())
			defer srv.Close()
			o := fakeOptions(t, srv, "AKIAFAKEMGMT")
			o.Org, o.Role, o.ExternalID, o.Accounts = true, "kmsguard-audit", tt.externalID, []string{"222222222222"}
			sink := NewMemSink()
			sum, err := Collect(context.Background(), o, sink)
			if err != nil {
				t.Fatal(err)
			}
			if got := failureFiles(sum)["accounts/222222222222.error.json"]; got != tt.wantCode {
				t.Errorf("account failure code = %q, want %q", got, tt.wantCode)
			}
			for _, n := range sink.Names() {
				if strings.HasPrefix(n, "accounts/111111111111") || strings.HasPrefix(n, "accounts/333333333333") {
					t.Errorf("%s written, but only 222222222222 was selected", n)
				}
			}
		})
	}
}

func TestCollectOrganizationWithoutOrganizationsAccess(t *testing.T) {
	tests := []struct {
		name     string
		accounts []string
		wantErr  bool
	}{
		{name: "no account list is fatal", wantErr: true},
		{name: "explicit accounts go on", accounts: []string{"111111111111"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awsfake.New(fakeWorld())
			defer srv.Close()
			// The member account may assume the audit role but not read Organizations.
			o := fakeOptions(t, srv, "AKIAFAKEMEMBER")
			o.Org, o.Role, o.Accounts = true, "kmsguard-audit", tt.accounts
			sink := NewMemSink()
			sum, err := Collect(context.Background(), o, sink)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := failureFiles(sum)["organizations/accounts.error.json"]; got != "AccessDeniedException" {
				t.Errorf("organizations/accounts failure = %q, want AccessDeniedException", got)
			}
			if tt.wantErr {
				return
			}
			if _, err := fs.Stat(sink, "accounts/111111111111/kms/eu-west-1/aliases.json"); err != nil {
				t.Errorf("selected account not collected: %v", err)
			}
			if len(sum.Notes) != 1 || sum.Notes[0].File != "organizations/policies.error.json" {
				t.Errorf("notes = %+v, want the unreadable SCPs noted", sum.Notes)
			}
		})
	}
}

func TestCollectThrottlingAfterRetriesIsRecorded(t *testing.T) {
	world := fakeWorld()
	// us-east-1 takes six KMS calls (two lists, four for its key): the
	// bucket allows five, then throttles for good.
	world.KMSRate, world.KMSBurst = 0.0001, 5
	srv := awsfake.New(world)
	defer srv.Close()
	o := fakeOptions(t, srv, "AKIAFAKEMGMT")
	o.Regions = []string{"us-east-1"}
	o.MaxAttempts = 2
	sink := NewMemSink()
	sum, err := Collect(context.Background(), o, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failures) != 1 || sum.Failures[0].Code != "ThrottlingException" {
		t.Fatalf("failures = %+v, want one ThrottlingException", sum.Failures)
	}
	if got := srv.Stats().Throttled; got != 2 {
		t.Errorf("fake throttled %d requests, want 2 (the call and its retry)", got)
	}
	data, err := fs.ReadFile(sink, sum.Failures[0].File)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n    \"Code\": \"ThrottlingException\",\n    \"Message\": \"Rate exceeded\"\n}\n"
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", sum.Failures[0].File, diff)
	}
}

func TestCollectCanceled(t *testing.T) {
	srv := awsfake.New(fakeWorld())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := fakeOptions(t, srv, "AKIAFAKEMGMT")
	sink := NewMemSink()
	if _, err := Collect(ctx, o, sink); err == nil {
		t.Fatal("Collect with a cancelled context returned no error")
	}
	for _, n := range sink.Names() {
		if strings.HasSuffix(n, ".error.json") {
			t.Errorf("cancellation recorded as a fact about a resource: %s", n)
		}
	}
}
