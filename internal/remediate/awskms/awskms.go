// Package awskms connects remediate to AWS KMS through the AWS SDK for Go v2.
// It is the only remediation code that imports the SDK: credentials and
// settings are resolved by kmsguard collect's live.LoadAWSConfig (as the AWS
// CLI resolves them, with the adaptive retry mode), and one client is made
// per region.
package awskms

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kmsguard/kmsguard/internal/inventory/live"
	"github.com/kmsguard/kmsguard/internal/remediate"
)

// Options choose the credentials.
type Options struct {
	Profile     string // shared config profile; empty = the SDK default chain
	Region      string // default region for keys whose ARN has none
	MaxAttempts int    // SDK attempts per call (default 5)
	// ConfigOptions are appended to config.LoadDefaultConfig's options;
	// tests use them to point the SDK at a local endpoint.
	ConfigOptions []func(*config.LoadOptions) error
}

// NewClients loads the AWS configuration once and returns a remediate.Clients
// that makes (and caches) one KMS client per region.
func NewClients(ctx context.Context, o Options) (remediate.Clients, error) {
	attempts := o.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	cfg, err := live.LoadAWSConfig(ctx, o.Profile, o.Region, attempts, o.ConfigOptions...)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	cache := map[string]remediate.KMS{}
	return func(_ context.Context, region string) (remediate.KMS, error) {
		if region == "" {
			region = cfg.Region
		}
		if region == "" {
			return nil, fmt.Errorf("no region: the key ARN has none and neither --region nor AWS_REGION is set")
		}
		mu.Lock()
		defer mu.Unlock()
		if c, ok := cache[region]; ok {
			return c, nil
		}
		c := New(kms.NewFromConfig(cfg, func(ko *kms.Options) { ko.Region = region }))
		cache[region] = c
		return c, nil
	}, nil
}

// API is the part of the SDK's KMS client remediation calls.
type API interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	GetKeyRotationStatus(ctx context.Context, in *kms.GetKeyRotationStatusInput, optFns ...func(*kms.Options)) (*kms.GetKeyRotationStatusOutput, error)
	ListGrants(ctx context.Context, in *kms.ListGrantsInput, optFns ...func(*kms.Options)) (*kms.ListGrantsOutput, error)
	CancelKeyDeletion(ctx context.Context, in *kms.CancelKeyDeletionInput, optFns ...func(*kms.Options)) (*kms.CancelKeyDeletionOutput, error)
	EnableKey(ctx context.Context, in *kms.EnableKeyInput, optFns ...func(*kms.Options)) (*kms.EnableKeyOutput, error)
	EnableKeyRotation(ctx context.Context, in *kms.EnableKeyRotationInput, optFns ...func(*kms.Options)) (*kms.EnableKeyRotationOutput, error)
	PutKeyPolicy(ctx context.Context, in *kms.PutKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.PutKeyPolicyOutput, error)
	RevokeGrant(ctx context.Context, in *kms.RevokeGrantInput, optFns ...func(*kms.Options)) (*kms.RevokeGrantOutput, error)
}

// New adapts an SDK KMS client to remediate.KMS.
func New(api API) remediate.KMS { return client{api} }

type client struct{ api API }

func (c client) DescribeKey(ctx context.Context, key string) (remediate.KeyInfo, error) {
	out, err := c.api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &key})
	if err != nil {
		return remediate.KeyInfo{}, err
	}
	if out.KeyMetadata == nil {
		return remediate.KeyInfo{}, fmt.Errorf("DescribeKey returned no KeyMetadata")
	}
	md := out.KeyMetadata
	return remediate.KeyInfo{State: string(md.KeyState), Manager: string(md.KeyManager), KeySpec: string(md.KeySpec), Origin: string(md.Origin)}, nil
}

func (c client) GetKeyPolicy(ctx context.Context, key string) (string, error) {
	out, err := c.api.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default")})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Policy), nil
}

func (c client) GetKeyRotationStatus(ctx context.Context, key string) (remediate.RotationInfo, error) {
	out, err := c.api.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &key})
	if err != nil {
		return remediate.RotationInfo{}, err
	}
	return remediate.RotationInfo{Enabled: out.KeyRotationEnabled, PeriodDays: int(aws.ToInt32(out.RotationPeriodInDays))}, nil
}

func (c client) ListGrants(ctx context.Context, key string) ([]remediate.GrantInfo, error) {
	var grants []remediate.GrantInfo
	p := kms.NewListGrantsPaginator(c.api, &kms.ListGrantsInput{KeyId: &key})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.Grants {
			ops := make([]string, len(g.Operations))
			for i, o := range g.Operations {
				ops[i] = string(o)
			}
			grants = append(grants, remediate.GrantInfo{ID: aws.ToString(g.GrantId), Name: aws.ToString(g.Name),
				Grantee: aws.ToString(g.GranteePrincipal), Operations: ops})
		}
	}
	return grants, nil
}

func (c client) CancelKeyDeletion(ctx context.Context, key string) error {
	_, err := c.api.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: &key})
	return err
}

func (c client) EnableKey(ctx context.Context, key string) error {
	_, err := c.api.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &key})
	return err
}

func (c client) EnableKeyRotation(ctx context.Context, key string, periodDays int) error {
	in := &kms.EnableKeyRotationInput{KeyId: &key}
	if periodDays > 0 {
		in.RotationPeriodInDays = aws.Int32(int32(periodDays))
	}
	_, err := c.api.EnableKeyRotation(ctx, in)
	return err
}

// PutKeyPolicy leaves BypassPolicyLockoutSafetyCheck false, always: KMS's
// own lockout check stays on as a second line behind remediate's.
func (c client) PutKeyPolicy(ctx context.Context, key, policy string) error {
	_, err := c.api.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default"), Policy: &policy})
	return err
}

func (c client) RevokeGrant(ctx context.Context, key, grantID string) error {
	_, err := c.api.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: &key, GrantId: &grantID})
	return err
}
