package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/report"
	"github.com/kmsguard/kmsguard/internal/severity"
)

type scanOptions struct {
	snapshot   string
	configPath string
	format     string
	output     string
	failOn     string
	controls   string
	now        string
	verbose    bool
	showPassed bool
	live       liveFlags
}

func newScanCmd(a *app) *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "scan [--snapshot DIR]",
		Short: "Audit KMS keys, key policies, grants and IAM policies against the control catalogue",
		Long: `Audit the accounts in a snapshot directory (written by the AWS CLI or
` + "`kmsguard collect`" + `; see docs/snapshot-format.md) against the control catalogue
(` + "`kmsguard controls`" + `) and print a report. Without --snapshot, scan collects live
from AWS first, with the credentials and flags ` + "`kmsguard collect`" + ` uses (read-only
calls only; ` + "`kmsguard permissions`" + ` prints the IAM policy it needs).

Exit codes:
  0  no unsuppressed FAIL at or above --fail-on, and every check could decide
  1  unsuppressed FAIL findings at or above --fail-on
  2  usage error: bad flags, configuration or snapshot directory
  3  partial: part of the snapshot could not be read or parsed (this outranks
     findings), or, when nothing fails at or above --fail-on, some checks are
     UNKNOWN because a fact could not be read (an AWS call failed)
  4  error: the report could not be written`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScan(cmd, a, &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.snapshot, "snapshot", "", "snapshot directory to scan (default: collect live from AWS)")
	f.StringVar(&o.configPath, "config", "", "kmsguard.yaml: parameters, allowlist, severity overrides, suppressions (see examples/kmsguard.yaml)")
	f.StringVar(&o.format, "format", "table", "report format: "+strings.Join(report.Formats(), ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when an unsuppressed FAIL is at least this severe: informational, low, medium, high, critical, or none")
	f.StringVar(&o.controls, "controls", "", "comma-separated control ids to run (default: all enabled in the configuration)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "table: show the evidence under each finding")
	f.BoolVar(&o.showPassed, "show-passed", false, "table and SARIF: also list PASS, NOT_APPLICABLE and suppressed findings")
	f.StringVar(&o.now, "now", "", "evaluate as if the time were this RFC 3339 instant (deterministic day counts; for tests)")
	_ = f.MarkHidden("now")
	o.live.register(f)
	return cmd
}

// failThreshold parses --fail-on; "none" never fails on findings.
func failThreshold(s string) (severity.Level, bool, error) {
	if strings.EqualFold(s, "none") {
		return 0, false, nil
	}
	l, err := severity.Parse(s)
	if err != nil {
		return 0, false, usageErrorf("--fail-on %q: want informational, low, medium, high, critical or none", s)
	}
	return l, true, nil
}

// selectControls narrows the catalogue to the --controls ids.
func selectControls(cat []controls.Control, list string) ([]controls.Control, error) {
	if strings.TrimSpace(list) == "" {
		return cat, nil
	}
	var out []controls.Control
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		c := controls.Lookup(cat, id)
		if c == nil {
			return nil, usageErrorf("--controls: unknown control %q (see `kmsguard controls`)", id)
		}
		out = append(out, *c)
	}
	return out, nil
}

func runScan(cmd *cobra.Command, a *app, o *scanOptions) error {
	started := time.Now().UTC()
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return usageErrorf("--now %q: want an RFC 3339 time such as 2026-11-20T09:30:00Z", o.now)
		}
		started = t.UTC()
	}
	useColor := o.output == "" && !a.noColor && os.Getenv("NO_COLOR") == "" && report.IsTerminal(a.stdout)
	w, err := report.New(o.format, report.Options{Color: useColor, Verbose: o.verbose, ShowPassed: o.showPassed})
	if err != nil {
		return usageErrorf("--format: %v", err)
	}
	level, failOnFindings, err := failThreshold(o.failOn)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return err
	}
	cat := controls.Catalogue()
	if err := controls.ValidateConfig(cfg, cat); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUsage, o.configPath, err)
	}
	if cat, err = selectControls(cat, o.controls); err != nil {
		return err
	}
	var (
		accts    []*inventory.Account
		problems []inventory.Problem
	)
	if o.snapshot == "" {
		accts, problems, _, err = collectLive(cmd.Context(), a, &o.live)
	} else {
		if used := o.live.used(cmd.Flags()); len(used) > 0 {
			return usageErrorf("%s cannot be used with --snapshot", strings.Join(used, ", "))
		}
		accts, problems, err = loadSnapshot(cmd.Context(), a, o.snapshot)
	}
	if err != nil {
		return err
	}
	res := controls.Run(controls.CheckContext{Now: started, Config: cfg, Analyzer: policy.NewAnalyzer(policy.DefaultMaxStates)}, cat, accts)
	finished := time.Now().UTC()
	if o.now != "" {
		finished = started
	}
	scan := report.Scan{Findings: res.Findings, StartedAt: started, FinishedAt: finished, ToolVersion: version,
		Accounts: accountIDs(accts), Regions: regionNames(accts), Notices: expiredNotices(res.ExpiredSuppressions, o.configPath)}
	for _, p := range problems {
		scan.Problems = append(scan.Problems, p.String())
	}
	for _, n := range scan.Notices {
		a.logger.Warn(n)
	}
	if err := report.WriteOutput(o.output, a.stdout, func(out io.Writer) error { return w.Write(out, scan) }); err != nil {
		return err
	}
	return scanOutcome(scan, level, failOnFindings)
}

// scanOutcome applies the exit-code policy documented in the command help.
func scanOutcome(s report.Scan, level severity.Level, failOnFindings bool) error {
	if len(s.Problems) > 0 {
		return fmt.Errorf("%w: %d part(s) of the snapshot could not be read; the checks that needed them are UNKNOWN", ErrPartial, len(s.Problems))
	}
	if failOnFindings && report.ExceedsThreshold(s.Findings, level) {
		return ErrFindings
	}
	unknown := 0
	for _, f := range s.Findings {
		if f.Status == controls.StatusUnknown && f.Suppressed == nil {
			unknown++
		}
	}
	if unknown > 0 {
		return fmt.Errorf("%w: %d finding(s) are UNKNOWN because a fact could not be read", ErrPartial, unknown)
	}
	return nil
}

func accountIDs(accts []*inventory.Account) []string {
	out := make([]string, 0, len(accts))
	for _, a := range accts {
		out = append(out, a.ID)
	}
	return out
}

func regionNames(accts []*inventory.Account) []string {
	var out []string
	for _, a := range accts {
		for _, r := range a.Regions {
			if !slices.Contains(out, r.Name) {
				out = append(out, r.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func expiredNotices(expired []*config.Suppression, path string) []string {
	var out []string
	for _, s := range expired {
		out = append(out, fmt.Sprintf("suppression at %s line %d (control %s, resource %s) expired on %s and no longer applies: renew or remove it",
			path, s.Line, s.Control, s.Resource, s.Expires))
	}
	return out
}
