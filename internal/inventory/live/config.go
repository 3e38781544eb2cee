package live

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// AllRegions as the only element of Options.Regions selects every region
// enabled for the account, as EC2 DescribeRegions reports them.
const AllRegions = "all"

// Defaults for Options fields left zero.
const (
	DefaultConcurrency        = 32  // per-key calls in flight per region
	DefaultKMSRate            = 100 // KMS requests per second per account and region
	DefaultAccountConcurrency = 4
	DefaultRegionConcurrency  = 4
	DefaultMaxAttempts        = 10
)

// Options selects what Collect reads and how hard it may push the APIs.
type Options struct {
	Profile string   // shared config profile; empty = the SDK default chain
	Region  string   // home region; empty = from the environment or profile
	Regions []string // KMS regions; empty = the home region, {"all"} = enabled regions

	Org        bool     // organisation mode: every ACTIVE account of the organisation
	Role       string   // role name assumed in each account (organisation mode)
	ExternalID string   // optional sts:ExternalId for that role
	Accounts   []string // subset of account ids (organisation mode)

	Concurrency        int     // per-key calls in flight per region
	KMSRate            float64 // KMS request quota per account and region; the collector stays 5% under it
	AccountConcurrency int
	RegionConcurrency  int
	MaxAttempts        int // SDK attempts per call, adaptive retry mode

	Progress *Progress    // optional live counters for a progress bar
	Logger   *slog.Logger // optional diagnostics

	// ConfigOptions are appended to the config.LoadDefaultConfig options;
	// tests use them to point the SDK at a local endpoint.
	ConfigOptions []func(*config.LoadOptions) error
}

// Progress counts work done; Collect updates it atomically while running.
type Progress struct {
	AccountsTotal, AccountsDone atomic.Int64
	RegionsTotal, RegionsDone   atomic.Int64
	KeysTotal, KeysDone         atomic.Int64
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// The role name's 512-character limit is checked apart: a counted
	// repetition compiles to 512 copies of the class, which cost every
	// kmsguard command milliseconds of start-up.
	rolePattern = regexp.MustCompile(`^[\w+=,.@/-]+$`)
)

// validRoleName reports whether name is an IAM role name (or path/name).
func validRoleName(name string) bool {
	return len(name) <= 512 && rolePattern.MatchString(name)
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.KMSRate <= 0 {
		o.KMSRate = DefaultKMSRate
	}
	if o.AccountConcurrency <= 0 {
		o.AccountConcurrency = DefaultAccountConcurrency
	}
	if o.RegionConcurrency <= 0 {
		o.RegionConcurrency = DefaultRegionConcurrency
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = &Progress{}
	}
	return o
}

// Validate reports option errors before any call is made.
func (o Options) Validate() error {
	for _, r := range o.Regions {
		if r == AllRegions && len(o.Regions) == 1 {
			continue
		}
		if !regionPattern.MatchString(r) {
			return fmt.Errorf("region %q is not a region name (like eu-west-1), or use %q alone", r, AllRegions)
		}
	}
	if o.Region != "" && !regionPattern.MatchString(o.Region) {
		return fmt.Errorf("region %q is not a region name", o.Region)
	}
	for _, a := range o.Accounts {
		if !policy.IsAccountID(a) {
			return fmt.Errorf("account %q is not a 12-digit account id", a)
		}
	}
	if o.Org && !validRoleName(o.Role) {
		return fmt.Errorf("organisation mode needs a role name (--role), got %q", o.Role)
	}
	if !o.Org && (o.Role != "" || o.ExternalID != "" || len(o.Accounts) > 0) {
		return fmt.Errorf("role, external id and accounts apply to organisation mode only (--org)")
	}
	return nil
}

// LoadAWSConfig resolves credentials and settings exactly as the AWS CLI
// does (environment, profile, SSO, web identity, instance and container
// roles), with the adaptive retry mode making up to maxAttempts attempts
// per call. An empty profile or region leaves the SDK's default; extra
// options are applied last (tests point the SDK at a local endpoint).
// Remediation loads its configuration here too, so that it reaches AWS
// as collect does.
func LoadAWSConfig(ctx context.Context, profile, region string, maxAttempts int, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = maxAttempts
				})
			})
		}),
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	opts = append(opts, extra...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// pacer hands out permission to send one request at a time, at most at
// its rate. A single goroutine waits on the limiter and passes permits
// through an unbuffered channel, so only one reservation is ever
// outstanding: when the process is starved for a while, callers do not
// all fire at once to catch up (as they would, each holding a reserved
// slot, with rate.Limiter.Wait), which would drain the service's token
// bucket and earn throttling errors. The limiter keeps 50 ms of burst so
// that a late timer wake-up does not lose its slot.
type pacer struct {
	permits chan struct{}
}

// startPacer runs a pacer until ctx is done.
func startPacer(ctx context.Context, perSecond float64) *pacer {
	p := &pacer{permits: make(chan struct{})}
	limiter := rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond/20)))
	go func() {
		for limiter.Wait(ctx) == nil {
			select {
			case p.permits <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return p
}

// middleware makes every attempt of a call, retries included, wait for a
// permit. It sits in the finalize step after the retry middleware, so the
// pacer governs what reaches the wire.
func (p *pacer) middleware(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("kmsguardPacer",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			select {
			case <-p.permits:
			case <-ctx.Done():
				return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
			}
			return next.HandleFinalize(ctx, in)
		}), "Retry", middleware.After)
}
