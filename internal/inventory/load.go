package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// LoadOptions tunes Load.
type LoadOptions struct {
	// Concurrency bounds how many files are parsed at once; 0 means twice
	// GOMAXPROCS.
	Concurrency int
}

// loader carries the snapshot file system and collects problems from
// concurrent readers.
type loader struct {
	fsys     fs.FS
	limit    int
	mu       sync.Mutex
	problems []Problem
}

func (l *loader) report(p Problem) {
	l.mu.Lock()
	l.problems = append(l.problems, p)
	l.mu.Unlock()
}

// LoadDir loads the snapshot directory dir; see Load.
func LoadDir(ctx context.Context, dir string, opts LoadOptions) ([]*Account, []Problem, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("snapshot %s: not a directory", dir)
	}
	return Load(ctx, os.DirFS(dir), opts)
}

// Load reads a snapshot (docs/snapshot-format.md) from fsys: either a single
// account at the root, or an organisation snapshot with accounts/<id>/
// subdirectories and a shared organizations/ directory. It returns one
// Account per account, sorted by id, and every problem with the snapshot's
// files (corrupt JSON, unreadable files). Problems never stop the load: the
// facts they affect are unknown with the reason. The error is non-nil only
// when ctx is cancelled or fsys is not a snapshot at all.
func Load(ctx context.Context, fsys fs.FS, opts LoadOptions) ([]*Account, []Problem, error) {
	l := &loader{fsys: fsys, limit: opts.Concurrency}
	if l.limit <= 0 {
		l.limit = 2 * runtime.GOMAXPROCS(0)
	}
	rootOrg := "organizations"
	entries, err := fs.ReadDir(fsys, "accounts")
	var accts []*Account
	switch {
	case err == nil:
		orgs := map[string]*org{}
		for _, e := range entries {
			if id, ok := strings.CutSuffix(e.Name(), ".error.json"); ok && !e.IsDir() {
				if orgs[rootOrg] == nil {
					orgs[rootOrg] = loadOrg(l, rootOrg)
				}
				accts = append(accts, unreachableAccount(l, id, orgs[rootOrg]))
				continue
			}
			if !e.IsDir() {
				l.report(Problem{File: path.Join("accounts", e.Name()), Reason: "not an account directory; ignored"})
				continue
			}
			prefix := path.Join("accounts", e.Name())
			orgDir := rootOrg
			if !exists(fsys, rootOrg) && exists(fsys, path.Join(prefix, "organizations")) {
				orgDir = path.Join(prefix, "organizations")
			}
			if orgs[orgDir] == nil {
				orgs[orgDir] = loadOrg(l, orgDir)
			}
			a, err := loadAccount(ctx, l, prefix, e.Name(), orgs[orgDir])
			if err != nil {
				return nil, nil, err
			}
			accts = append(accts, a)
		}
	case errors.Is(err, fs.ErrNotExist):
		if !exists(fsys, "account.json") && !exists(fsys, "account.error.json") && !exists(fsys, "kms") && !exists(fsys, "iam") {
			return nil, nil, errors.New("not a kmsguard snapshot: no account.json, kms/, iam/ or accounts/ (see docs/snapshot-format.md)")
		}
		a, err := loadAccount(ctx, l, "", "", loadOrg(l, rootOrg))
		if err != nil {
			return nil, nil, err
		}
		accts = append(accts, a)
	default:
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	sort.Slice(accts, func(i, j int) bool { return accts[i].ID < accts[j].ID })
	sort.Slice(l.problems, func(i, j int) bool {
		if l.problems[i].File != l.problems[j].File {
			return l.problems[i].File < l.problems[j].File
		}
		return l.problems[i].Reason < l.problems[j].Reason
	})
	return accts, l.problems, nil
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

func joinPrefix(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return path.Join(prefix, name)
}

type callerOut struct {
	UserID  string `json:"UserId"`
	Account string
	Arn     string
}

// loadAccount reads one single-account snapshot under prefix.
func loadAccount(ctx context.Context, l *loader, prefix, idHint string, o *org) (*Account, error) {
	a := &Account{}
	var caller callerOut
	if rerr := readCall(l.fsys, joinPrefix(prefix, "account.json"), "sts:GetCallerIdentity", &caller, l.report); rerr != nil {
		a.Caller = Unknown[CallerIdentity](rerr)
	} else {
		a.Caller = Known(CallerIdentity{UserID: caller.UserID, Account: caller.Account, ARN: caller.Arn})
	}

	type keySlot struct {
		dir, region, id string
		key             *Key
	}
	var slots []*keySlot
	kmsDir := joinPrefix(prefix, "kms")
	regionDirs, err := fs.ReadDir(l.fsys, kmsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.report(Problem{File: kmsDir, Reason: err.Error()})
	}
	if errors.Is(err, fs.ErrNotExist) {
		l.report(Problem{File: kmsDir, Reason: "no kms directory: the snapshot has no keys"})
	}
	for _, name := range regionNames(regionDirs) {
		r := &Region{Name: name, KeyListing: Known(struct{}{})}
		rdir := path.Join(kmsDir, name)
		// kms/<region>.error.json stands in for the whole region directory:
		// ListKeys failed (AccessDenied, or an opt-in region that is not
		// enabled), so neither keys nor aliases were read.
		if rerr, ok := readErrorFile(l.fsys, rdir+".error.json", "kms:ListKeys", l.report); ok {
			r.KeyListing = Unknown[struct{}](rerr)
			r.Aliases = Unknown[[]Alias](rerr)
		}
		keyDirs, err := fs.ReadDir(l.fsys, path.Join(rdir, "keys"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			l.report(Problem{File: path.Join(rdir, "keys"), Reason: err.Error()})
		}
		for _, kd := range keyDirs {
			if !kd.IsDir() {
				l.report(Problem{File: path.Join(rdir, "keys", kd.Name()), Reason: "not a key directory; ignored"})
				continue
			}
			slots = append(slots, &keySlot{dir: path.Join(rdir, "keys", kd.Name()), region: name, id: kd.Name()})
		}
		a.Regions = append(a.Regions, r)
	}
	if rerr, ok := readErrorFile(l.fsys, joinPrefix(prefix, "regions.error.json"), "ec2:DescribeRegions", l.report); ok {
		a.RegionsIncomplete = rerr
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.limit)
	g.Go(func() error {
		a.IAM = loadIAM(l, prefix)
		return gctx.Err()
	})
	for _, r := range a.Regions {
		if !r.KeyListing.IsKnown() {
			continue // the region failed as a whole; Aliases carries why
		}
		g.Go(func() error {
			r.Aliases = loadAliases(l, path.Join(kmsDir, r.Name))
			return gctx.Err()
		})
	}
	for _, s := range slots {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			s.key = loadKey(l, s.dir, s.region, s.id)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	byRegion := map[string][]*Key{}
	for _, s := range slots {
		a.Keys = append(a.Keys, s.key)
		byRegion[s.region] = append(byRegion[s.region], s.key)
	}
	for _, r := range a.Regions {
		attachAliases(r, byRegion[r.Name])
	}
	identify(a, idHint, prefix, l)
	for _, k := range a.Keys {
		if k.ARN == "" {
			k.ARN = keyARN(a.Partition, k.Region, a.ID, k.ID)
		}
	}
	sort.Slice(a.Keys, func(i, j int) bool {
		if a.Keys[i].Region != a.Keys[j].Region {
			return a.Keys[i].Region < a.Keys[j].Region
		}
		return a.Keys[i].ID < a.Keys[j].ID
	})
	a.SCPs = o.scps
	a.Name = o.accountNames[a.ID]
	if a.ID != "" {
		a.OUPath = o.ouPath(l, a.ID)
	} else {
		a.OUPath = Unknown[[]OrgNode](&ReadError{Call: "organizations:ListParents", Code: CodeIncomplete, Message: "account id unknown"})
	}
	return a, nil
}

// identify settles the account id and partition from the best source.
func identify(a *Account, idHint, prefix string, l *loader) {
	c, cerr := a.Caller.Get()
	arns := []string{}
	if cerr == nil {
		a.ID = c.Account
		arns = append(arns, c.ARN)
	}
	for _, k := range a.Keys {
		if md, err := k.Metadata.Get(); err == nil && a.ID == "" {
			a.ID = md.AccountID
		}
		arns = append(arns, k.ARN)
	}
	if a.ID == "" {
		a.ID = idHint
	}
	if idHint != "" && a.ID != idHint {
		l.report(Problem{File: joinPrefix(prefix, "account.json"), Reason: fmt.Sprintf("account %s in a directory named %s", a.ID, idHint)})
	}
	if iam, err := a.IAM.Get(); err == nil {
		for _, r := range iam.Roles {
			arns = append(arns, r.ARN)
		}
	}
	for _, arn := range arns {
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) == 6 && parts[0] == "arn" {
			if a.Partition == "" {
				a.Partition = parts[1]
			}
			if a.ID == "" && len(parts[4]) == 12 {
				a.ID = parts[4]
			}
		}
	}
	if a.Partition == "" {
		a.Partition = "aws"
	}
	if a.ID == "" {
		l.report(Problem{File: joinPrefix(prefix, "account.json"), Reason: "account id could not be determined from any file"})
	}
}
