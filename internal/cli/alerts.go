package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
	"github.com/kmsguard/kmsguard/internal/state"
)

// stateEnv names the environment variable that sets the default --state, so
// a fleet's DSN (with its password) need not appear on command lines.
const stateEnv = "KMSGUARD_STATE"

// defaultStatePath is the SQLite file used when neither --state nor
// KMSGUARD_STATE says otherwise.
const defaultStatePath = "kmsguard.db"

type alertsOptions struct {
	state       string
	since       string
	rule        string
	minSeverity string
	keyARN      string
	limit       int
	format      string
}

func newAlertsCmd(a *app) *cobra.Command {
	var o alertsOptions
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "List recent alerts from the state store",
		Long: `List the alerts kmsguard recorded in its state store, newest first.

--state is a SQLite file path or a postgres:// URL (default: $KMSGUARD_STATE,
else kmsguard.db). --since takes a duration (90m, 24h, 7d) or an RFC 3339 time;
0 lists everything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAlerts(cmd, a, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.state, "state", "", "state store: SQLite file path or postgres:// URL")
	f.StringVar(&o.since, "since", "24h", "only alerts recorded within this duration, or since this RFC 3339 time")
	f.StringVar(&o.rule, "rule", "", "only alerts of this rule ID")
	f.StringVar(&o.minSeverity, "min-severity", "", "only alerts at least this severe: informational, low, medium, high or critical")
	f.StringVar(&o.keyARN, "key", "", "only alerts naming this KMS key ARN")
	f.IntVar(&o.limit, "limit", state.DefaultAlertLimit, "at most this many alerts")
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

func runAlerts(cmd *cobra.Command, a *app, o alertsOptions) error {
	now := time.Now()
	q := state.AlertQuery{RuleID: o.rule, KeyARN: o.keyARN, Limit: o.limit}
	var err error
	if q.Since, err = parseSince(o.since, now); err != nil {
		return err
	}
	if o.minSeverity != "" {
		if q.MinSeverity, err = severity.Parse(o.minSeverity); err != nil {
			return usageErrorf("--min-severity: %v", err)
		}
	}
	if o.limit <= 0 {
		return usageErrorf("--limit %d: want a positive number", o.limit)
	}
	if o.format != "table" && o.format != "json" {
		return usageErrorf("--format %q: want table or json", o.format)
	}
	where := o.state
	if where == "" {
		where = os.Getenv(stateEnv)
	}
	if where == "" {
		where = defaultStatePath
	}
	// Listing must not create an empty database where the user mistyped a
	// path.
	if !strings.Contains(where, "://") {
		if _, err := os.Stat(where); err != nil {
			return usageErrorf("--state %s: no state store there (%v)", where, errors.Unwrap(err))
		}
	}
	st, err := state.Open(cmd.Context(), where, state.WithLogger(a.logger))
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }() // read-only: nothing to lose
	recs, queryErr := st.RecentAlerts(cmd.Context(), q)
	if queryErr != nil && !errors.Is(queryErr, state.ErrCorrupt) {
		return queryErr
	}
	if o.format == "json" {
		err = writeAlertsJSON(a.stdout, recs)
	} else {
		err = writeAlertsTable(a.stdout, recs)
	}
	if err != nil {
		return fmt.Errorf("write alerts: %w", err)
	}
	if queryErr != nil {
		// The readable entries are listed; the bad ones are named here.
		return fmt.Errorf("%w: %w", ErrPartial, queryErr)
	}
	return nil
}

// parseSince accepts a duration back from now (with a "d" suffix for days),
// an RFC 3339 time, or "0" for no limit.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, usageErrorf("--since %q: want a duration such as 24h or 7d, or an RFC 3339 time", s)
	}
	return now.Add(-d), nil
}

// alertJSON is one listed alert; fields are only ever added.
type alertJSON struct {
	RecordedAt time.Time   `json:"recorded_at"`
	Alert      alert.Alert `json:"alert"`
}

func writeAlertsJSON(w io.Writer, recs []state.AlertRecord) error {
	out := make([]alertJSON, 0, len(recs))
	for _, r := range recs {
		out = append(out, alertJSON{RecordedAt: r.RecordedAt, Alert: r.Alert})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeAlertsTable(w io.Writer, recs []state.AlertRecord) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORDED\tSEVERITY\tRULE\tEVENT\tACTOR\tKEYS")
	for _, r := range recs {
		al := r.Alert
		actor := al.Actor.ARN
		if actor == "" {
			actor = al.Actor.InvokedBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n",
			r.RecordedAt.UTC().Format(time.RFC3339), al.Severity, al.RuleID,
			dash(al.EventName), dash(actor), dash(strings.Join(al.KeyARNs, ",")))
	}
	if len(recs) == 0 {
		fmt.Fprintln(tw, "(no alerts)")
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
