package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/pflag"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

// useSampleAWS serves awsfake.SampleOrganization and points the SDK's
// default chain at it through the environment, as a user would. The
// always-throttled call is left out: through the CLI it would wait out ten
// attempts of backoff (the live package tests it with fewer attempts).
func useSampleAWS(t *testing.T) *awsfake.Server {
	t.Helper()
	cfg := awsfake.SampleOrganization()
	cfg.Throttle = nil
	srv := awsfake.New(cfg)
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": awsfake.SampleManagementKey, "AWS_SECRET_ACCESS_KEY": "fake-secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "eu-west-1",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return srv
}

// sampleOrgArgs select the whole sample organisation, with its disabled region.
var sampleOrgArgs = []string{"--org", "--role", awsfake.SampleRole, "--external-id", awsfake.SampleExternalID,
	"--regions", "eu-west-1,us-east-1," + awsfake.SampleDisabledRegion}

func parseLiveFlags(t *testing.T, args ...string) *liveFlags {
	t.Helper()
	var lf liveFlags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return &lf
}

func testApp() *app {
	var out bytes.Buffer
	return &app{stdout: &out, stderr: &out, logger: slog.New(slog.DiscardHandler)}
}

func TestCollectLive(t *testing.T) {
	useSampleAWS(t)
	tests := []struct {
		name         string
		args         []string
		wantAccounts []string
		wantProblems []string // problem files
		wantUsage    string   // substring of a usage error, "" for none
	}{
		{name: "organisation", args: sampleOrgArgs,
			wantAccounts: []string{"111111111111", "222222222222", "333333333333"},
			wantProblems: []string{
				"accounts/111111111111/kms/ap-east-1.error.json",
				"accounts/111111111111/kms/eu-west-1/keys/" + awsfake.SampleImportedKey + "/key-rotation-status.error.json",
				"accounts/111111111111/kms/eu-west-1/keys/" + awsfake.SampleDeniedPolicyKey + "/key-policy.error.json",
				"accounts/333333333333.error.json",
			}},
		{name: "single account, one region", args: []string{"--region", "us-east-1"},
			wantAccounts: []string{"111111111111"}},
		{name: "bad region is a usage error", args: []string{"--regions", "eu-west-1,../x"}, wantUsage: "is not a region name"},
		{name: "accounts without org is a usage error", args: []string{"--accounts", "222222222222"}, wantUsage: "organisation mode only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accts, problems, sum, err := collectLive(context.Background(), testApp(), parseLiveFlags(t, tt.args...))
			if tt.wantUsage != "" {
				if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.wantUsage) {
					t.Fatalf("error %v, want a usage error containing %q", err, tt.wantUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids, files []string
			for _, a := range accts {
				ids = append(ids, a.ID)
			}
			for _, p := range problems {
				files = append(files, p.File)
			}
			if diff := cmp.Diff(tt.wantAccounts, ids); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblems, files); diff != "" {
				t.Errorf("problems (-want +got):\n%v\n%s", problems, diff)
			}
			if sum.Partial() != (len(tt.wantProblems) > 0) {
				t.Errorf("summary partial = %v with failures %v", sum.Partial(), sum.Failures)
			}
		})
	}
	t.Run("no region is a usage error", func(t *testing.T) {
		t.Setenv("AWS_REGION", "")
		_, _, _, err := collectLive(context.Background(), testApp(), parseLiveFlags(t))
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "no region") {
			t.Fatalf("error %v, want a usage error about the region", err)
		}
	})
}

// scanFindings runs the control catalogue and returns the findings sorted,
// without the catalogue pointer (compared through ControlID).
func scanFindings(accts []*inventory.Account) []controls.Finding {
	res := controls.Run(controls.CheckContext{Now: time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)}, controls.Catalogue(), accts)
	fs := res.Findings
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.ControlID != b.ControlID {
			return a.ControlID < b.ControlID
		}
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		return a.ResourceID < b.ResourceID
	})
	return fs
}

// TestCollectThenScanEqualsLiveScan is the equivalence: `collect`
// into a directory then loading it gives the same findings as collecting
// into memory, on data where every control has something to say.
func TestCollectThenScanEqualsLiveScan(t *testing.T) {
	useSampleAWS(t)
	dir := filepath.Join(t.TempDir(), "snap")
	code, _, stderr := runCLI(t, "", append([]string{"collect", "--out", dir}, sampleOrgArgs...)...)
	if code != ExitPartial {
		t.Fatalf("collect exit %d, want %d (partial): %s", code, ExitPartial, stderr)
	}
	fromDir, dirProblems, err := loadSnapshot(context.Background(), testApp(), dir)
	if err != nil {
		t.Fatal(err)
	}
	fromLive, liveProblems, _, err := collectLive(context.Background(), testApp(), parseLiveFlags(t, sampleOrgArgs...))
	if err != nil {
		t.Fatal(err)
	}
	want, got := scanFindings(fromDir), scanFindings(fromLive)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(controls.Finding{}, "Control")); diff != "" {
		t.Errorf("live scan differs from collect + scan --snapshot (-snapshot +live):\n%s", diff)
	}
	// The live problems are the snapshot's plus one per failed call.
	for _, p := range dirProblems {
		if !containsProblem(liveProblems, p.File) {
			t.Errorf("snapshot problem %v missing from the live problems %v", p, liveProblems)
		}
	}

	// Every control has findings, and the data exercises every status.
	t.Logf("%d findings", len(got))
	perControl := map[string]int{}
	statuses := map[controls.Status]int{}
	for _, f := range got {
		perControl[f.ControlID]++
		statuses[f.Status]++
	}
	for _, c := range controls.Catalogue() {
		if perControl[c.ID] == 0 {
			t.Errorf("control %s has no findings on the sample data", c.ID)
		}
	}
	for _, s := range []controls.Status{controls.StatusPass, controls.StatusFail, controls.StatusUnknown, controls.StatusNotApplicable} {
		if statuses[s] == 0 {
			t.Errorf("no %s finding on the sample data (statuses %v)", s, statuses)
		}
	}
}

func containsProblem(ps []inventory.Problem, file string) bool {
	for _, p := range ps {
		if p.File == file {
			return true
		}
	}
	return false
}

func TestLiveFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantUsed []string
		wantRate float64
	}{
		{"defaults", nil, nil, 100},
		{"every flag", []string{"--profile", "p", "--region", "eu-west-1", "--regions", "all", "--org", "--role", "r",
			"--external-id", "x", "--accounts", "111111111111", "--concurrency", "4", "--kms-rate", "50"},
			[]string{"--profile", "--region", "--regions", "--org", "--role", "--external-id", "--accounts", "--concurrency", "--kms-rate"}, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lf liveFlags
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			lf.register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantUsed, lf.used(fs)); diff != "" {
				t.Errorf("used (-want +got):\n%s", diff)
			}
			o, err := lf.options()
			if err != nil {
				t.Fatal(err)
			}
			if o.KMSRate != tt.wantRate {
				t.Errorf("KMSRate %v, want %v", o.KMSRate, tt.wantRate)
			}
		})
	}
}

// TestScanLive runs `kmsguard scan` without --snapshot end to end: the real
// SDK collects from the fake organisation, the controls run, and the failed
// calls (a disabled region, a role that cannot be assumed, a denied key
// policy) make the scan partial.
func TestScanLive(t *testing.T) {
	useSampleAWS(t)
	args := append([]string{"scan", "--format", "json", "--fail-on", "none"}, sampleOrgArgs...)
	code, out, errOut := runCLI(t, "", args...)
	if code != ExitPartial {
		t.Fatalf("exit %d, want %d (partial)\nstderr: %s", code, ExitPartial, errOut)
	}
	for _, want := range []string{`"control_id": "KMS.3"`, `"control_id": "KMS.5"`, "333333333333", "ap-east-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("live scan report lacks %s", want)
		}
	}
}
