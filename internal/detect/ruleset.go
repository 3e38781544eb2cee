package detect

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed rules/*.yml
var builtinFS embed.FS

// RuleSet is a list of parsed rules and meta filters, ready for NewEngine.
type RuleSet struct {
	Rules   []*Rule
	Filters []*Filter
	// Correlations are Sigma correlation rules over Rules, for
	// NewCorrelator (NewEngine ignores them).
	Correlations []*Correlation
}

// Add appends another set's rules, filters and correlations.
func (s *RuleSet) Add(o RuleSet) {
	s.Rules = append(s.Rules, o.Rules...)
	s.Filters = append(s.Filters, o.Filters...)
	s.Correlations = append(s.Correlations, o.Correlations...)
}

// Builtin returns kmsguard's embedded KMS rule set, with every rule's
// samples (kmsguard.tests).
func Builtin() (RuleSet, error) {
	return LoadFS(builtinFS, "rules", "builtin:")
}

// BuiltinForMatching returns the embedded rule set without the samples of
// its rules and correlations. The samples are most of the embedded YAML,
// and parsing them was a third of detect's start-up; matching never uses
// them (`rules test` and Builtin do). The rules are otherwise those of
// Builtin (TestBuiltinForMatchingIsBuiltin).
func BuiltinForMatching() (RuleSet, error) {
	return loadFS(builtinFS, "rules", "builtin:", withoutSamples)
}

// withoutSamples removes the kmsguard.tests blocks of a rule file written
// in the built-in rules' layout: "kmsguard:" at the top level, "tests:"
// under it indented by four spaces, and the samples indented further. The
// block ends at the next line indented four spaces or less, or a document
// separator.
func withoutSamples(data []byte) []byte {
	out := make([]byte, 0, len(data))
	inKmsguard, inTests := false, false
	for rest := data; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		text := bytes.TrimRight(line, "\r\n")
		indent := len(text) - len(bytes.TrimLeft(text, " "))
		blank := indent == len(text)
		if inTests && (blank || indent > 4) {
			continue
		}
		inTests = false
		if !blank && indent == 0 {
			inKmsguard = string(text) == "kmsguard:"
		}
		if inKmsguard && string(text) == "    tests:" {
			inTests = true
			continue
		}
		out = append(out, line...)
	}
	return out
}

// LoadDir loads every .yml and .yaml file under dir, recursively, in
// lexical order. All files are read; the error joins one message per bad
// file, and a set with errors must not be used (a rule is never half
// applied).
func LoadDir(dir string) (RuleSet, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return RuleSet{}, fmt.Errorf("rules directory: %w", err)
	}
	if !info.IsDir() {
		data, err := os.ReadFile(dir)
		if err != nil {
			return RuleSet{}, err
		}
		set, err := ParseRuleSet(dir, data)
		set.Rules, set.Filters = setFile(set.Rules, dir), setFilterFile(set.Filters, dir)
		return set, err
	}
	return LoadFS(os.DirFS(dir), ".", filepath.Clean(dir)+string(filepath.Separator))
}

// LoadFS loads every .yml and .yaml file under root in fsys. prefix is
// prepended to file names in messages.
func LoadFS(fsys fs.FS, root, prefix string) (RuleSet, error) {
	return loadFS(fsys, root, prefix, nil)
}

// loadFS is LoadFS with each file's content passed through edit first
// (nil: as it is).
func loadFS(fsys fs.FS, root, prefix string, edit func([]byte) []byte) (RuleSet, error) {
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return RuleSet{}, err
	}
	sort.Strings(files)
	var (
		set  RuleSet
		errs []error
	)
	for _, p := range files {
		name := prefix + strings.TrimPrefix(p, "./")
		if root != "." {
			name = prefix + path.Join(root, strings.TrimPrefix(p, root+"/"))
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if edit != nil {
			data = edit(data)
		}
		fileSet, err := ParseRuleSet(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set.Rules = append(set.Rules, setFile(fileSet.Rules, name)...)
		set.Filters = append(set.Filters, setFilterFile(fileSet.Filters, name)...)
		set.Correlations = append(set.Correlations, fileSet.Correlations...)
	}
	if len(files) == 0 {
		where := prefix + root
		if root == "." {
			where = strings.TrimRight(prefix, `/\`)
		}
		errs = append(errs, fmt.Errorf("%s: no .yml or .yaml rule files", where))
	}
	return set, errors.Join(errs...)
}

func setFile(rules []*Rule, file string) []*Rule {
	for _, r := range rules {
		r.File = file
	}
	return rules
}

func setFilterFile(filters []*Filter, file string) []*Filter {
	for _, f := range filters {
		f.File = file
	}
	return filters
}
