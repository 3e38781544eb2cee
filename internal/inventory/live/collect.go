package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"
)

// ErrNoRegion reports that neither the options nor the AWS configuration
// name a region to read.
var ErrNoRegion = errors.New("no region: use --region, --regions, AWS_REGION or a profile with a region")

// kmsRateMargin is the share of the KMS quota the collector uses.
const kmsRateMargin = 0.95

// Collect reads the accounts selected by o and writes a snapshot to sink.
// Failed calls are facts, written as error files and listed in the
// summary; the error is non-nil only when the collection could not run or
// the sink could not be written.
func Collect(ctx context.Context, o Options, sink Sink) (Summary, error) {
	if err := o.Validate(); err != nil {
		return Summary{}, err
	}
	o = o.withDefaults()
	cfg, err := LoadAWSConfig(ctx, o.Profile, o.Region, o.MaxAttempts, o.ConfigOptions...)
	if err != nil {
		return Summary{}, err
	}
	// STS, IAM and EC2 need a home region; explicit KMS regions can lend one.
	if cfg.Region == "" {
		if len(o.Regions) == 0 || o.Regions[0] == AllRegions {
			return Summary{}, ErrNoRegion
		}
		cfg.Region = o.Regions[0]
	}
	if !regionPattern.MatchString(cfg.Region) {
		return Summary{}, fmt.Errorf("region %q from the AWS configuration is not a region name", cfg.Region)
	}
	// Without usable credentials every call would fail: say so once
	// instead of writing an error file for each.
	if cfg.Credentials != nil {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return Summary{}, fmt.Errorf("resolve AWS credentials: %w", err)
		}
	}
	rec := &recorder{sink: sink}
	if o.Org {
		err = collectOrg(ctx, cfg, o, rec)
	} else {
		o.Progress.AccountsTotal.Store(1)
		err = collectAccount(ctx, cfg, o, scope{rec: rec}, true)
		o.Progress.AccountsDone.Add(1)
	}
	sum, writeErr := rec.summary()
	if err == nil {
		err = writeErr
	}
	return sum, err
}

// collectAccount writes one account's snapshot into sc. withSCPs adds the
// organizations/ part for that account (single-account mode).
func collectAccount(ctx context.Context, cfg aws.Config, o Options, sc scope, withSCPs bool) error {
	id, err := collectIdentity(ctx, sts.NewFromConfig(cfg), sc)
	if err != nil {
		return err
	}
	if id != nil {
		sc.rec.count(func(s *Summary) { s.Accounts++ })
	}
	regions, err := resolveRegions(ctx, cfg, o, sc)
	if err != nil {
		return err
	}
	o.Progress.RegionsTotal.Add(int64(len(regions)))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return collectAuthorizationDetails(gctx, iam.NewFromConfig(cfg), sc) })
	if withSCPs {
		g.Go(func() error {
			var accounts []string
			if id != nil {
				accounts = []string{aws.ToString(id.Account)}
			}
			return collectSCPs(gctx, organizations.NewFromConfig(cfg), sc, accounts)
		})
	}
	regionGroup, rctx := errgroup.WithContext(gctx)
	regionGroup.SetLimit(o.RegionConcurrency)
	for _, region := range regions {
		regionGroup.Go(func() error {
			defer o.Progress.RegionsDone.Add(1)
			// KMS quotas are per account and region: one pacer each, 5%
			// under the quota, so that jitter between here and the service
			// does not drain the service's bucket: a single throttle makes
			// the adaptive retryer cut the rate for a while.
			pctx, stop := context.WithCancel(rctx)
			defer stop()
			pace := startPacer(pctx, o.KMSRate*kmsRateMargin)
			client := kms.NewFromConfig(cfg, func(ko *kms.Options) {
				ko.Region = region
				ko.APIOptions = append(ko.APIOptions, pace.middleware)
			})
			return collectRegion(rctx, client, sc, region, o)
		})
	}
	g.Go(regionGroup.Wait)
	return g.Wait()
}

// resolveRegions turns Options.Regions into the regions to read. "all"
// asks EC2 DescribeRegions for the regions enabled for the account (opt-in
// regions that are not enabled are not listed); an explicit region that is
// disabled is still tried, so its failure is recorded for that region.
func resolveRegions(ctx context.Context, cfg aws.Config, o Options, sc scope) ([]string, error) {
	switch {
	case len(o.Regions) == 1 && o.Regions[0] == AllRegions:
		var regionsAPI ec2API = ec2.NewFromConfig(cfg)
		out, err := regionsAPI.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(false)})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			sc.fail("regions", err)
			return []string{cfg.Region}, nil
		}
		var regions []string
		for _, r := range out.Regions {
			name := aws.ToString(r.RegionName)
			if regionPattern.MatchString(name) && aws.ToString(r.OptInStatus) != "not-opted-in" {
				regions = append(regions, name)
			}
		}
		slices.Sort(regions)
		return regions, nil
	case len(o.Regions) > 0:
		return slices.Compact(slices.Sorted(slices.Values(o.Regions))), nil
	default:
		return []string{cfg.Region}, nil
	}
}

// collectOrg collects every selected account of the organisation by
// assuming o.Role in it, accounts in parallel. The management account's
// credentials read the organisation's SCPs once. An account whose role
// cannot be assumed gets accounts/<id>.error.json; the others go on.
func collectOrg(ctx context.Context, cfg aws.Config, o Options, rec *recorder) error {
	root := scope{rec: rec}
	stsClient := sts.NewFromConfig(cfg)
	partition := "aws"
	if me, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		if parts := strings.SplitN(aws.ToString(me.Arn), ":", 3); len(parts) == 3 && parts[1] != "" {
			partition = parts[1]
		}
	} else if ctx.Err() != nil {
		return ctx.Err()
	}
	orgClient := organizations.NewFromConfig(cfg)
	accounts, err := listAccounts(ctx, orgClient, root)
	switch {
	case err != nil && len(o.Accounts) == 0:
		return err
	case len(o.Accounts) > 0:
		accounts = slices.Compact(slices.Sorted(slices.Values(o.Accounts)))
	}
	o.Progress.AccountsTotal.Store(int64(len(accounts)))
	if err := collectSCPs(ctx, orgClient, root, accounts); err != nil {
		return err
	}

	session := fmt.Sprintf("kmsguard-%d", time.Now().Unix())
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.AccountConcurrency)
	for _, account := range accounts {
		g.Go(func() error {
			defer o.Progress.AccountsDone.Add(1)
			roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, strings.Trim(o.Role, "/"))
			provider := stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(ao *stscreds.AssumeRoleOptions) {
				ao.RoleSessionName = session
				if o.ExternalID != "" {
					ao.ExternalID = aws.String(o.ExternalID)
				}
			})
			acfg := cfg.Copy()
			acfg.Credentials = aws.NewCredentialsCache(provider)
			if _, err := acfg.Credentials.Retrieve(gctx); err != nil {
				o.Logger.Info("cannot assume role", "role", roleARN, "err", err)
				return failUnlessCanceled(gctx, root, "accounts/"+account, err)
			}
			return collectAccount(gctx, acfg, o, scope{rec: rec, prefix: "accounts/" + account}, false)
		})
	}
	return g.Wait()
}
