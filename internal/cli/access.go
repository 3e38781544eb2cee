package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/access"
	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
)

type accessFlags struct {
	snapshot, configFile, principal, format string
	actions                                 []string
}

func newAccessCmd(a *app) *cobra.Command {
	f := &accessFlags{}
	cmd := &cobra.Command{
		Use:   "access [KEY] --snapshot DIR",
		Short: "Who can do what on a KMS key (or which keys a principal can use), with the policy path of each answer",
		Long: `access answers who can perform KMS actions on a key, following AWS's authorisation
logic: the key policy, the IAM policies of every user (with its groups) and role, permissions
boundaries, the organisation's SCPs and the key's grants. Every answer names the statements
that grant it and says whether it holds unconditionally or only under conditions.

KEY is a key ARN, a key id, or an alias (alias/NAME or its ARN). Without --action the
destructive and administrative actions and Encrypt/Decrypt are shown. With --principal ARN
instead of KEY, the keys and actions that one principal has are listed.

Exit codes: 0 answered; 2 usage (unknown key, bad action); 3 some fact could not be read
(the affected principals are listed as undecided).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAccess(cmd, a, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.snapshot, "snapshot", "", "snapshot directory (as written by kmsguard collect or the AWS CLI)")
	fl.StringVar(&f.configFile, "config", "", "kmsguard.yaml: marks the allowlisted and break-glass principals")
	fl.StringVar(&f.principal, "principal", "", "list the keys and actions of this principal ARN instead of one key's principals")
	fl.StringArrayVar(&f.actions, "action", nil, "KMS action to answer for (repeatable; default: destructive and administrative actions plus Encrypt and Decrypt)")
	fl.StringVar(&f.format, "format", "table", "table or json")
	return cmd
}

func runAccess(cmd *cobra.Command, a *app, f *accessFlags, args []string) error {
	if f.format != "table" && f.format != "json" {
		return usageErrorf("--format must be table or json, not %q", f.format)
	}
	if (len(args) == 1) == (f.principal != "") {
		return usageErrorf("give either a KEY argument or --principal ARN")
	}
	actions := access.DefaultActions()
	if len(f.actions) > 0 {
		actions = nil
		for _, s := range f.actions {
			act, err := access.ParseAction(s)
			if err != nil {
				return usageErrorf("--action: %v", err)
			}
			actions = append(actions, act)
		}
	}
	cfg, err := loadConfig(f.configFile)
	if err != nil {
		return err
	}
	accts, problems, err := loadSnapshot(cmd.Context(), a, f.snapshot)
	if err != nil {
		return err
	}
	authorised := func(arn string) bool { return cfg.IsBreakGlass(arn) || cfg.AuthorisedPrincipal(arn) != nil }
	var answers []access.KeyAccess
	if f.principal != "" {
		for _, acct := range accts {
			an := access.New(acct, access.Options{Authorised: authorised})
			an.EvaluateAll()
			answers = append(answers, an.Principal(f.principal, actions)...)
		}
	} else {
		acct, key := findKey(accts, args[0])
		if key == nil {
			return usageErrorf("no key %q in the snapshot (give a key ARN, key id, alias/NAME or alias ARN)", args[0])
		}
		answers = append(answers, access.New(acct, access.Options{Authorised: authorised}).Key(key, actions))
	}
	if f.format == "json" {
		err = writeAccessJSON(a.stdout, f.principal, answers)
	} else {
		err = writeAccessTable(a.stdout, f.principal, answers, cfg)
	}
	if err != nil {
		return err
	}
	undecided := 0
	for _, ka := range answers {
		undecided += len(ka.Unknown)
	}
	if undecided > 0 || len(problems) > 0 {
		return fmt.Errorf("%w: %d undecided answer(s), %d snapshot problem(s)", ErrPartial, undecided, len(problems))
	}
	return nil
}

// findKey resolves a key ARN, key id, alias name or alias ARN.
func findKey(accts []*inventory.Account, ref string) (*inventory.Account, *inventory.Key) {
	alias := ""
	if strings.HasPrefix(ref, "alias/") {
		alias = ref
	} else if i := strings.Index(ref, ":alias/"); i >= 0 && strings.HasPrefix(ref, "arn:") {
		alias = ref[i+1:]
	}
	for _, acct := range accts {
		for _, k := range acct.Keys {
			if k.ARN == ref || k.ID == ref {
				return acct, k
			}
			if alias != "" {
				if names, err := k.Aliases.Get(); err == nil {
					for _, n := range names {
						if n == alias && (!strings.HasPrefix(ref, "arn:") || strings.Contains(ref, ":"+k.Region+":")) {
							return acct, k
						}
					}
				}
			}
		}
	}
	return nil, nil
}

func writeAccessJSON(w io.Writer, principal string, answers []access.KeyAccess) error {
	if answers == nil {
		answers = []access.KeyAccess{}
	}
	out := struct {
		Principal string             `json:"principal,omitempty"`
		Keys      []access.KeyAccess `json:"keys"`
	}{principal, answers}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeAccessTable(w io.Writer, principal string, answers []access.KeyAccess, cfg *config.Config) error {
	out := &stickyWriter{w: w}
	if principal != "" && len(answers) == 0 {
		out.printf("%s can perform none of the actions on any key of the snapshot.\n", principal)
		return out.err
	}
	for i, ka := range answers {
		if i > 0 {
			out.printf("\n")
		}
		out.printf("Key %s\nActions: %s\n\n", ka.Key, strings.Join(ka.Actions, ", "))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		table := &stickyWriter{w: tw}
		table.printf("PRINCIPAL\tKIND\tACTION\tWHEN\tPATH\n")
		sessions := map[string]string{}
		for _, acc := range ka.Access {
			kind := string(acc.Principal.Kind)
			if note := allowNote(cfg, acc.Principal.ARN); note != "" {
				kind += " (" + note + ")"
			}
			if acc.Principal.Sessions != "" {
				sessions[acc.Principal.ARN] = acc.Principal.Sessions
			}
			for j, p := range acc.Paths {
				who, what, k := acc.Principal.ARN, acc.Action, kind
				if j > 0 {
					who, what, k = "", "", ""
				}
				table.printf("%s\t%s\t%s\t%s\t%s\n", who, k, what, p.Conditions(), pathText(p))
			}
		}
		if len(ka.Access) == 0 {
			table.printf("(nobody)\t\t\t\t\n")
		}
		if table.err != nil {
			return table.err
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(sessions) > 0 {
			out.printf("\nRole sessions inherit their role's access:\n")
			roles := make([]string, 0, len(sessions))
			for r := range sessions {
				roles = append(roles, r)
			}
			sort.Strings(roles)
			for _, r := range roles {
				out.printf("  %s -> %s\n", r, sessions[r])
			}
		}
		for _, u := range ka.Unknown {
			out.printf("UNDECIDED %s: %s\n", u.Principal.ARN, u.Reason)
		}
		for _, c := range ka.Caveats {
			out.printf("Caveat: %s\n", c)
		}
	}
	return out.err
}

// stickyWriter keeps the first write error, so that a table is written
// with plain printf calls and checked once.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) printf(format string, args ...any) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, format, args...)
	}
}

func pathText(p access.Path) string {
	parts := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		parts[i] = s.Source
		if s.Statement != "" {
			parts[i] += " [" + s.Statement + "]"
		}
	}
	return p.Via + ": " + strings.Join(parts, " + ")
}

func allowNote(cfg *config.Config, arn string) string {
	if cfg.IsBreakGlass(arn) {
		return "break-glass"
	}
	if ap := cfg.AuthorisedPrincipal(arn); ap != nil {
		return "allowlisted"
	}
	return ""
}
