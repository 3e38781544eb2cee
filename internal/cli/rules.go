package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// ruleFlags are the flags that choose a rule set, shared by the rules
// commands (and later by detect).
type ruleFlags struct {
	dirs      []string
	noBuiltin bool
}

func (f *ruleFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.dirs, "rules", nil, "directory (or file) of Sigma rules and filters to add; repeatable")
	cmd.Flags().BoolVar(&f.noBuiltin, "no-builtin", false, "do not load the built-in KMS rules")
}

// load returns the chosen rule set. A rule or filter that fails to load is
// a usage error: rules are never half applied.
func (f *ruleFlags) load() (detect.RuleSet, error) {
	return f.loadWith(detect.Builtin)
}

// loadForMatching is load for commands that only match (detect): the
// built-in rules come without their samples, which are slow to parse.
func (f *ruleFlags) loadForMatching() (detect.RuleSet, error) {
	return f.loadWith(detect.BuiltinForMatching)
}

func (f *ruleFlags) loadWith(builtin func() (detect.RuleSet, error)) (detect.RuleSet, error) {
	var set detect.RuleSet
	if f.noBuiltin && len(f.dirs) == 0 {
		return set, usageErrorf("--no-builtin needs at least one --rules directory")
	}
	if !f.noBuiltin {
		b, err := builtin()
		if err != nil {
			return set, fmt.Errorf("built-in rules: %w", err)
		}
		set.Add(b)
	}
	for _, dir := range f.dirs {
		s, err := detect.LoadDir(dir)
		if err != nil {
			return set, fmt.Errorf("%w: loading rules:\n%w", ErrUsage, err)
		}
		set.Add(s)
	}
	return set, nil
}

// engine compiles the set; errors (wrong logsource, duplicate ids, filters
// naming unknown rules) are usage errors.
func (f *ruleFlags) engine(set detect.RuleSet, opts detect.Options) (*detect.Engine, error) {
	eng, err := detect.NewEngine(set, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: compiling rules:\n%w", ErrUsage, err)
	}
	return eng, nil
}

func newRulesCmd(a *app) *cobra.Command {
	var (
		flags  ruleFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the Sigma detection rules (built-in and --rules)",
		Long: `List the Sigma detection rules kmsguard runs on CloudTrail: the embedded KMS
rule set and any rules and meta filters from --rules directories. EVENTS shows
the eventSource:eventName pairs a rule is indexed under ("*" for rules that
see every event).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageErrorf("--format %q: want table or json", format)
			}
			set, err := flags.load()
			if err != nil {
				return err
			}
			eng, err := flags.engine(set, detect.Options{})
			if err != nil {
				return err
			}
			if _, err := detect.NewCorrelator(set, detect.CorrelatorOptions{}); err != nil {
				return fmt.Errorf("%w: compiling correlation rules:\n%w", ErrUsage, err)
			}
			if format == "json" {
				return writeRulesJSON(a.stdout, eng.Rules(), set.Filters, set.Correlations)
			}
			return writeRulesTable(a.stdout, eng.Rules(), set.Filters, set.Correlations)
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.AddCommand(newRulesTestCmd(a))
	return cmd
}

// ruleJSON is the JSON listing of one rule; fields are only ever added.
type ruleJSON struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Level          string   `json:"level"`
	Status         string   `json:"status,omitempty"`
	File           string   `json:"file"`
	Description    string   `json:"description,omitempty"`
	Tags           []string `json:"tags,omitempty"`
	FalsePositives []string `json:"falsepositives,omitempty"`
	References     []string `json:"references,omitempty"`
	Events         []string `json:"events"`
	Samples        int      `json:"samples"`
}

// correlationJSON is the JSON listing of one correlation rule.
type correlationJSON struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Level     string   `json:"level"`
	File      string   `json:"file"`
	Type      string   `json:"type"`
	Rules     []string `json:"rules"`
	GroupBy   []string `json:"group_by"`
	Timespan  string   `json:"timespan"`
	Condition string   `json:"condition"`
	Field     string   `json:"field,omitempty"`
	Generate  bool     `json:"generate"`
	Samples   int      `json:"samples"`
}

type filterJSON struct {
	ID    string   `json:"id,omitempty"`
	Title string   `json:"title"`
	File  string   `json:"file"`
	Rules []string `json:"rules"`
}

func writeRulesJSON(w io.Writer, rules []*detect.Rule, filters []*detect.Filter, corrs []*detect.Correlation) error {
	out := struct {
		Rules        []ruleJSON        `json:"rules"`
		Filters      []filterJSON      `json:"filters"`
		Correlations []correlationJSON `json:"correlations"`
	}{Rules: []ruleJSON{}, Filters: []filterJSON{}, Correlations: []correlationJSON{}}
	for _, k := range corrs {
		out.Correlations = append(out.Correlations, correlationJSON{
			ID: k.ID, Title: k.Title, Level: k.Level.String(), File: k.File, Type: string(k.Type), Rules: k.Rules,
			GroupBy: k.GroupBy, Timespan: k.TimespanText(), Condition: k.Condition.String(), Field: k.Field,
			Generate: k.Generate, Samples: len(k.Samples),
		})
	}
	for _, r := range rules {
		out.Rules = append(out.Rules, ruleJSON{
			ID: r.ID, Title: r.Title, Level: r.Level.String(), Status: r.Status, File: r.File,
			Description: r.Description, Tags: r.Tags, FalsePositives: r.FalsePositives,
			References: r.References, Events: detect.WatchedEvents(r), Samples: len(r.Samples),
		})
	}
	for _, f := range filters {
		out.Filters = append(out.Filters, filterJSON{ID: f.ID, Title: f.Title, File: f.File, Rules: f.Rules})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeRulesTable(w io.Writer, rules []*detect.Rule, filters []*detect.Filter, corrs []*detect.Correlation) error {
	// Rendered into memory (writes cannot fail there), then written once.
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "ID\tLEVEL\tTITLE\tEVENTS")
	for _, r := range rules {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Level, r.Title, compactEvents(detect.WatchedEvents(r)))
	}
	_ = tw.Flush()
	if len(filters) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		_, _ = fmt.Fprintln(tw, "FILTER\tTITLE\tAPPLIES TO")
		for _, f := range filters {
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\n", f.File, f.Title, strings.Join(f.Rules, ", "))
		}
		_ = tw.Flush()
	}
	if len(corrs) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		_, _ = fmt.Fprintln(tw, "CORRELATION\tLEVEL\tTITLE\tTYPE\tWINDOW")
		for _, k := range corrs {
			cond := k.Condition.String()
			if k.Field != "" {
				cond = "distinct " + k.Field + " " + cond
			}
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s by %s: %s\n", k.ID, k.Level, k.Title, k.Type, k.TimespanText(), strings.Join(k.GroupBy, ","), cond)
		}
		_ = tw.Flush()
	}
	fmt.Fprintf(&b, "\n%d rules, %d filters, %d correlations\n", len(rules), len(filters), len(corrs))
	_, err := io.WriteString(w, b.String())
	return err
}

// maxTableEvents caps the event names shown per source in the table; the
// JSON listing has them all.
const maxTableEvents = 6

// compactEvents groups "source:name" entries by source for the table:
// "kms.amazonaws.com:DisableKey,ScheduleKeyDeletion".
func compactEvents(events []string) string {
	var order []string
	names := map[string][]string{}
	for _, e := range events {
		src, name, ok := strings.Cut(e, ":")
		if !ok {
			src, name = e, ""
		}
		if _, seen := names[src]; !seen {
			order = append(order, src)
		}
		if name != "" {
			names[src] = append(names[src], name)
		} else {
			names[src] = names[src][:0:0]
		}
	}
	parts := make([]string, 0, len(order))
	for _, src := range order {
		if len(names[src]) == 0 {
			parts = append(parts, src)
			continue
		}
		list := names[src]
		if len(list) > maxTableEvents {
			list = append(list[:maxTableEvents-1:maxTableEvents-1], fmt.Sprintf("+%d more", len(list)-maxTableEvents+1))
		}
		parts = append(parts, src+":"+strings.Join(list, ","))
	}
	return strings.Join(parts, " ")
}

func newRulesTestCmd(a *app) *cobra.Command {
	var flags ruleFlags
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run every rule's true and false samples",
		Long: `Run the samples of every rule (kmsguard.tests.match and .nomatch): a match
sample passes when its rule matches it, a nomatch sample when it does not.
A correlation rule's sample is a sequence of events, run through the rules
and a fresh correlator: it passes when the correlation fires (match) or
does not (nomatch).
Rules are tested as written, without meta filters. Samples that need the
policy analyzer (needs: [policy]) run with kmsguard's key policy exposure
analysis (internal/policy.KeyPolicyExposure).

Exit codes: 0 all samples pass, 1 a sample fails, 2 a rule fails to load.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, err := flags.load()
			if err != nil {
				return err
			}
			// Compile with filters once so that a broken filter is reported.
			if _, err := flags.engine(set, detect.Options{}); err != nil {
				return err
			}
			eng, err := flags.engine(set, detect.Options{NoFilters: true, Policy: policy.ExposureAnalyzer{}})
			if err != nil {
				return err
			}
			results := eng.RunSamples()
			seq, err := eng.RunCorrelationSamples(set.Correlations, detect.CorrelatorOptions{})
			if err != nil {
				return fmt.Errorf("%w: compiling correlation rules:\n%w", ErrUsage, err)
			}
			return reportSamples(a.stdout, append(results, seq...))
		},
	}
	flags.register(cmd)
	return cmd
}

func reportSamples(w io.Writer, results []detect.SampleResult) error {
	var (
		b                strings.Builder
		pass, fail, skip int
	)
	for _, r := range results {
		kind := "nomatch"
		if r.Sample.Match {
			kind = "match"
		}
		status, note := "PASS", ""
		switch {
		case r.Skipped != "":
			status, note = "SKIP", " ("+r.Skipped+")"
			skip++
		case !r.Pass:
			status, note = "FAIL", " ("+r.Detail+")"
			fail++
		default:
			pass++
		}
		fmt.Fprintf(&b, "%s  %s  %s %q%s  [%s line %d]\n", status, r.Title(), kind, r.Sample.Name, note, r.File(), r.Sample.Line)
	}
	fmt.Fprintf(&b, "\n%d passed, %d failed, %d skipped\n", pass, fail, skip)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if fail > 0 {
		return fmt.Errorf("%w: %d rule samples failed", ErrFindings, fail)
	}
	return nil
}
