package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/pflag"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/live"
)

// liveFlags are the flags that select what a live collection reads and how
// hard it may push the APIs; collect and scan (without --snapshot) share
// them.
type liveFlags struct {
	profile     string
	region      string
	regions     string
	org         bool
	role        string
	externalID  string
	accounts    string
	concurrency int
	kmsRate     float64
}

// register adds the live collection flags to fs.
func (f *liveFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.profile, "profile", "", "AWS shared config profile")
	fs.StringVar(&f.region, "region", "", "home region (default from AWS_REGION or the profile)")
	fs.StringVar(&f.regions, "regions", "", `KMS regions, comma separated, or "all" for every region enabled for the account (default: --region)`)
	fs.BoolVar(&f.org, "org", false, "read every account of the organisation by assuming --role")
	fs.StringVar(&f.role, "role", "", "role name to assume in each account (with --org)")
	fs.StringVar(&f.externalID, "external-id", "", "external id for the role (with --org)")
	fs.StringVar(&f.accounts, "accounts", "", "only these account ids, comma separated (with --org)")
	fs.IntVar(&f.concurrency, "concurrency", live.DefaultConcurrency, "per-key calls in flight per region")
	fs.Float64Var(&f.kmsRate, "kms-rate", live.DefaultKMSRate, "KMS request quota per account and region (requests/s); kmsguard stays 5% under it")
}

// used lists the live flags set on the command line of fs, so that a command
// reading a snapshot instead can reject them ("--profile has no effect with
// --snapshot").
func (f *liveFlags) used(fs *pflag.FlagSet) []string {
	var names []string
	for _, n := range []string{"profile", "region", "regions", "org", "role", "external-id", "accounts", "concurrency", "kms-rate"} {
		if fs.Changed(n) {
			names = append(names, "--"+n)
		}
	}
	return names
}

// options turns the flags into collector options; invalid values are usage
// errors, reported before any AWS call.
func (f *liveFlags) options() (live.Options, error) {
	o := live.Options{
		Profile: f.profile, Region: f.region, Regions: splitList(f.regions),
		Org: f.org, Role: f.role, ExternalID: f.externalID, Accounts: splitList(f.accounts),
		Concurrency: f.concurrency, KMSRate: f.kmsRate,
	}
	if err := o.Validate(); err != nil {
		return live.Options{}, usageErrorf("%v", err)
	}
	return o, nil
}

// collectInto runs a live collection into sink with the progress bar on
// stderr (when it is a terminal) and diagnostics to the app's logger.
func collectInto(ctx context.Context, a *app, o live.Options, sink live.Sink) (live.Summary, error) {
	o.Logger = a.logger
	o.Progress = &live.Progress{}
	stop := startProgress(a.stderr, o.Progress)
	sum, err := live.Collect(ctx, o, sink)
	stop()
	if errors.Is(err, live.ErrNoRegion) {
		return sum, usageErrorf("%v", err)
	}
	return sum, err
}

// collectLive collects the accounts f selects into memory and loads them as
// a snapshot, exactly as `collect` followed by `scan --snapshot` would. The
// problems are the loader's plus one per failed call (each also an unknown
// fact in the accounts), so a caller exits with ExitPartial when there are
// any. The error is non-nil only when the collection could not run (usage
// errors wrap ErrUsage).
func collectLive(ctx context.Context, a *app, f *liveFlags) ([]*inventory.Account, []inventory.Problem, live.Summary, error) {
	o, err := f.options()
	if err != nil {
		return nil, nil, live.Summary{}, err
	}
	sink := live.NewMemSink()
	sum, err := collectInto(ctx, a, o, sink)
	if err != nil {
		return nil, nil, sum, err
	}
	accts, problems, err := inventory.Load(ctx, sink, inventory.LoadOptions{})
	if err != nil {
		return nil, nil, sum, fmt.Errorf("load the collected snapshot: %w", err)
	}
	return accts, mergeFailures(problems, sum.Failures), sum, nil
}

// mergeFailures adds a problem for each failed call whose file the loader
// did not already report, sorted by file.
func mergeFailures(problems []inventory.Problem, failures []live.Failure) []inventory.Problem {
	seen := map[string]bool{}
	for _, p := range problems {
		seen[p.File] = true
	}
	for _, fl := range failures {
		if !seen[fl.File] {
			seen[fl.File] = true
			problems = append(problems, inventory.Problem{File: fl.File, Reason: "call failed: " + fl.Code + ": " + fl.Message})
		}
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].File < problems[j].File })
	return problems
}
