package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/hunt"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/report"
	"github.com/kmsguard/kmsguard/internal/severity"
	"github.com/kmsguard/kmsguard/internal/source"
)

// defaultDetectFailOn is the --fail-on default: high and critical alerts
// (keys scheduled for deletion, policies opened, trails stopped) fail a
// run; the informational record of every KMS change does not.
const defaultDetectFailOn = "high"

// detectGCPercent is the GOGC value detect runs with unless GOGC is set.
const detectGCPercent = 400

type detectOptions struct {
	rules          ruleFlags
	since, until   string
	format, output string
	failOn         string
	workers        int
	validate       bool
	profile        string
	region         string
}

func newDetectCmd(a *app) *cobra.Command {
	var o detectOptions
	cmd := &cobra.Command{
		Use:   "detect PATH... | s3://BUCKET[/PREFIX] | -",
		Short: "Hunt CloudTrail archives with the Sigma detection rules",
		Long: `Read CloudTrail logs — files and directories in the S3 delivery layout
(gzipped or not, digest and Insight files skipped), s3://bucket/prefix, or
"-" for stdin — in every delivery shape, run the built-in KMS rules (and any
--rules), and report each alert once (a record delivered twice alerts once),
ordered by event time and rule id. A summary goes to stderr.

--since and --until take RFC 3339 times or durations before now (90m, 24h,
7d) and bound eventTime; log files dated outside the window are not read.

Exit codes: 0 no alert at or above --fail-on (default high; "none" never
fails), 1 such alerts, 2 usage or rule errors, 3 some input could not be
read (the alerts of the rest are still reported), 4 the run failed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runDetect(cmd.Context(), a, o, args) },
	}
	o.rules.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "", "only events at or after this time (RFC 3339, or a duration before now: 24h, 7d)")
	f.StringVar(&o.until, "until", "", "only events at or before this time (RFC 3339, or a duration before now)")
	f.StringVar(&o.format, "format", "table", "output format: "+strings.Join(report.AlertFormats(), ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout")
	f.StringVar(&o.failOn, "fail-on", defaultDetectFailOn, "exit 1 when an alert is at or above this severity (informational, low, medium, high, critical, or none)")
	f.IntVar(&o.workers, "workers", 0, "files read in parallel (default: the number of CPUs)")
	f.BoolVar(&o.validate, "validate", false, "decode every record, also those no rule could match, and report any that is damaged (slower)")
	f.StringVar(&o.profile, "profile", "", "AWS profile for s3:// sources")
	f.StringVar(&o.region, "region", "", "AWS Region for s3:// sources")
	return cmd
}

func runDetect(ctx context.Context, a *app, o detectOptions, args []string) error {
	now := a.clock()
	since, err := parseTimeFlag("--since", o.since, now)
	if err != nil {
		return err
	}
	until, err := parseTimeFlag("--until", o.until, now)
	if err != nil {
		return err
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return usageErrorf("--until %s is before --since %s", o.until, o.since)
	}
	failOn := severity.Level(0)
	if !strings.EqualFold(o.failOn, "none") {
		if failOn, err = severity.Parse(o.failOn); err != nil {
			return usageErrorf("--fail-on: %v", err)
		}
	}
	if o.workers < 0 {
		return usageErrorf("--workers %d: want 0 (one per CPU) or more", o.workers)
	}
	w, err := report.NewAlertWriter(o.format, report.Options{Color: !a.noColor && o.output == "" && report.IsTerminal(a.stdout) && os.Getenv("NO_COLOR") == ""})
	if err != nil {
		return usageErrorf("--format: %v", err)
	}
	set, err := o.rules.loadForMatching()
	if err != nil {
		return err
	}
	eng, err := o.rules.engine(set, detect.Options{Policy: policy.ExposureAnalyzer{}})
	if err != nil {
		return err
	}
	corr, err := detect.NewCorrelator(set, detect.CorrelatorOptions{})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	srcOpts := source.Options{Stdin: a.stdin}
	if hasS3(args) {
		if srcOpts.S3, err = newS3Client(ctx, o.profile, o.region); err != nil {
			return err
		}
	}
	sources, err := source.OpenAll(args, srcOpts)
	if err != nil {
		return usageErrorf("%v", err)
	}

	if os.Getenv("GOGC") == "" {
		// The live heap is small (buffers, candidate records, alerts) and
		// garbage comes from decoding candidates; collecting at 4x instead
		// of 2x the live heap cut CPU by ~15% for ~10 MiB more RSS.
		defer debug.SetGCPercent(debug.SetGCPercent(detectGCPercent))
	}
	started := a.clock()
	res, err := hunt.Run(ctx, sources, hunt.Options{Engine: eng, Correlator: corr, Workers: o.workers, Since: since, Until: until, Validate: o.validate})
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	run := alertRun(res, started, a.clock())
	if err := report.WriteOutput(o.output, a.stdout, func(out io.Writer) error { return w.WriteAlerts(out, run) }); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := report.WriteAlertSummary(a.stderr, run); err != nil {
		return err
	}
	if res.Duplicates > 0 || res.OutOfWindow > 0 {
		fmt.Fprintf(a.stderr, "  %d duplicate alerts (redelivered events) not repeated; %d events outside --since/--until\n", res.Duplicates, res.OutOfWindow)
	}
	switch {
	case res.Stats.Partial():
		return fmt.Errorf("%w: %d input errors; the alerts above cover the rest of the input", ErrPartial, res.Stats.ErrorCount)
	case failOn != 0 && report.AlertsExceedThreshold(run.Alerts, failOn):
		return fmt.Errorf("%w: alerts at or above %s", ErrFindings, failOn)
	}
	return nil
}

// alertRun turns a hunt result into what the report writers show.
func alertRun(res *hunt.Result, started, finished time.Time) report.AlertRun {
	st := res.Stats
	run := report.AlertRun{
		Alerts: res.Alerts, StartedAt: started, FinishedAt: finished, ToolVersion: version,
		Files: st.Files, Events: int(st.Events - res.OutOfWindow),
		Skipped: st.SkippedDigest + st.SkippedInsight + st.SkippedOther + st.SkippedOutOfWindow + int(st.SkippedEvents) + int(res.OutOfWindow),
		Errors:  st.ErrorCount,
	}
	for _, e := range st.Errors {
		run.Problems = append(run.Problems, e.String())
	}
	if more := st.ErrorCount - len(st.Errors); more > 0 {
		run.Problems = append(run.Problems, fmt.Sprintf("... and %d more errors not kept", more))
	}
	return run
}

// maxRelativeDays bounds "Nd" so that the duration cannot overflow.
const maxRelativeDays = 100 * 365

// parseTimeFlag accepts RFC 3339 or a duration before now: Go durations
// (90m, 24h) and whole days (7d).
func parseTimeFlag(name, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= maxRelativeDays {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usageErrorf("%s %q: want an RFC 3339 time (2026-03-01T00:00:00Z) or a duration before now (90m, 24h, 7d)", name, v)
}

func hasS3(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "s3://") {
			return true
		}
	}
	return false
}

// newS3Client resolves credentials and settings as the AWS CLI does
// (environment, --profile, SSO, instance roles; AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL for S3-compatible stores, which are addressed path-style).
func newS3Client(ctx context.Context, profile, region string) (*s3.Client, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("s3 sources need an AWS Region: set --region, AWS_REGION or the profile's region")
	}
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = custom
		// S3-compatible stores often send no checksums; reading goes on
		// either way, so the SDK need not log each one.
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}
