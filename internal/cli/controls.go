package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/controls"
)

func newControlsCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "controls",
		Short: "List the posture controls that `kmsguard scan` runs",
		Long: `List the control catalogue with each control's severity, resource type and
the requirements it maps to (Security Hub, AWS Config, guardrails, CIS, NIST
800-53, PCI DSS). ` + "`kmsguard controls show ID`" + ` explains one control.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cat := controls.Catalogue()
			switch format {
			case "json":
				return writeJSON(a.stdout, cat)
			case "table":
				return writeControlsTable(a.stdout, cat)
			}
			return usageErrorf("--format %q: want table or json", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Explain one control: rationale, mappings, parameters and remediation",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c := controls.Lookup(controls.Catalogue(), args[0])
			if c == nil {
				return usageErrorf("unknown control %q (see `kmsguard controls`)", args[0])
			}
			switch format {
			case "json":
				return writeJSON(a.stdout, c)
			case "table":
				return writeControl(a.stdout, c)
			}
			return usageErrorf("--format %q: want table or json", format)
		},
	}
	show.Flags().StringVar(&format, "format", "table", "output format: table (text) or json")
	cmd.AddCommand(show)
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func writeControlsTable(w io.Writer, cat []controls.Control) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tRESOURCE\tMAPS TO\tTITLE")
	for _, c := range cat {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Severity, c.ResourceType, shortMappings(c.Mappings), c.Title)
	}
	return tw.Flush()
}

// shortMappings names the Security Hub control, Config rule and guardrail.
func shortMappings(m controls.Mappings) string {
	var parts []string
	parts = append(parts, m.SecurityHub...)
	parts = append(parts, m.ConfigRules...)
	parts = append(parts, m.Guardrails...)
	parts = append(parts, m.Conformity...)
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func writeControl(w io.Writer, c *controls.Control) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\n", c.ID, c.Title)
	fmt.Fprintf(&b, "Severity:       %s\nResource type:  %s\n", c.Severity, c.ResourceType)
	for _, m := range []struct {
		name string
		ids  []string
	}{
		{"Security Hub", c.Mappings.SecurityHub}, {"AWS Config", c.Mappings.ConfigRules}, {"Guardrails", c.Mappings.Guardrails},
		{"Conformity", c.Mappings.Conformity}, {"CIS", c.Mappings.CIS}, {"NIST 800-53 r5", c.Mappings.NIST80053}, {"PCI DSS", c.Mappings.PCIDSS},
	} {
		if len(m.ids) > 0 {
			fmt.Fprintf(&b, "%-15s %s\n", m.name+":", strings.Join(m.ids, ", "))
		}
	}
	fmt.Fprintf(&b, "\nWhy it matters\n  %s\n", c.Rationale)
	if len(c.Parameters) > 0 {
		b.WriteString("\nParameters (kmsguard.yaml, parameters." + c.ID + ")\n")
		for _, p := range c.Parameters {
			fmt.Fprintf(&b, "  %s (default %s): %s\n", p.Name, p.Default, p.Description)
		}
	}
	fmt.Fprintf(&b, "\nRemediation\n  %s\n", c.Remediation.Summary)
	if len(c.Remediation.Console) > 0 {
		b.WriteString("\n  Console:\n")
		for i, s := range c.Remediation.Console {
			fmt.Fprintf(&b, "    %d. %s\n", i+1, s)
		}
	}
	if len(c.Remediation.CLI) > 0 {
		b.WriteString("\n  AWS CLI:\n")
		for _, s := range c.Remediation.CLI {
			fmt.Fprintf(&b, "    $ %s\n", s)
		}
	}
	if len(c.References) > 0 {
		b.WriteString("\nReferences\n")
		for _, r := range c.References {
			fmt.Fprintf(&b, "  - %s\n", r)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
