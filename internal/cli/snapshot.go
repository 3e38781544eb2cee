package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
)

// loadConfig reads the kmsguard.yaml at path, or returns the defaults when
// path is empty. A malformed file is a usage error that names the line.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return cfg, nil
}

// loadSnapshot loads every account of a snapshot directory. Problems (files
// that could not be read or parsed) are logged and returned: the caller
// reports them and exits with ExitPartial, but still evaluates the rest.
func loadSnapshot(ctx context.Context, a *app, dir string) ([]*inventory.Account, []inventory.Problem, error) {
	if dir == "" {
		return nil, nil, usageErrorf("--snapshot DIR is required (a directory written by `kmsguard collect` or the AWS CLI; see docs/snapshot-format.md)")
	}
	accts, problems, err := inventory.LoadDir(ctx, dir, inventory.LoadOptions{})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		return nil, nil, err
	}
	for _, p := range problems {
		a.logger.Warn("snapshot problem", "file", p.File, "reason", p.Reason)
	}
	return accts, problems, nil
}
