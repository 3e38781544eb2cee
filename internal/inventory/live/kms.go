package live

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"golang.org/x/sync/errgroup"
)

// collectRegion writes kms/<region>/... for one account and region. A
// failure to list keys (AccessDenied, a disabled region) is written as
// kms/<region>.error.json and ends the region without failing the run.
func collectRegion(ctx context.Context, client kmsAPI, sc scope, region string, o Options) error {
	dir := "kms/" + region
	var keys []kmstypes.KeyListEntry
	pages := kms.NewListKeysPaginator(client, &kms.ListKeysInput{Limit: aws.Int32(1000)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			sc.fail(dir, err)
			o.Logger.Info("cannot list kms keys", "scope", sc.prefix, "region", region, "err", err)
			return nil
		}
		keys = append(keys, page.Keys...)
	}
	sc.rec.count(func(s *Summary) { s.Regions++; s.Keys += len(keys) })
	o.Progress.KeysTotal.Add(int64(len(keys)))

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	g.Go(func() error { return collectAliases(gctx, client, sc, dir) })
	for _, k := range keys {
		g.Go(func() error {
			defer o.Progress.KeysDone.Add(1)
			return collectKey(gctx, client, sc, dir, k)
		})
	}
	err := g.Wait()
	o.Logger.Debug("kms region collected", "scope", sc.prefix, "region", region, "keys", len(keys), "err", err)
	return err
}

func collectAliases(ctx context.Context, client kmsAPI, sc scope, dir string) error {
	out := listAliasesOutput{Aliases: []aliasListEntry{}}
	pages := kms.NewListAliasesPaginator(client, &kms.ListAliasesInput{Limit: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return failUnlessCanceled(ctx, sc, dir+"/aliases", err)
		}
		for _, a := range page.Aliases {
			out.Aliases = append(out.Aliases, fromAlias(a))
		}
	}
	sc.write(dir+"/aliases", out)
	return nil
}

// collectKey reads one key. DescribeKey decides which of the optional calls
// apply; if it failed, they are all tried so their own outcome is recorded.
func collectKey(ctx context.Context, client kmsAPI, sc scope, dir string, k kmstypes.KeyListEntry) error {
	id := aws.ToString(k.KeyId)
	if id == "" || strings.ContainsAny(id, `/\`) || !fs.ValidPath(id) {
		sc.rec.count(func(s *Summary) {
			s.Failures = append(s.Failures, Failure{File: sc.path(dir + "/keys"), Code: "InvalidKeyId", Message: fmt.Sprintf("ListKeys returned key id %q, which cannot name a snapshot directory", id)})
		})
		return nil
	}
	base := dir + "/keys/" + id + "/"

	var meta *kmstypes.KeyMetadata
	desc, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		if err := failUnlessCanceled(ctx, sc, base+"describe-key", err); err != nil {
			return err
		}
	} else {
		meta = desc.KeyMetadata
		sc.write(base+"describe-key", fromDescribeKey(desc))
	}

	policy, err := client.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default")})
	if err != nil {
		if err := failUnlessCanceled(ctx, sc, base+"key-policy", err); err != nil {
			return err
		}
	} else {
		sc.write(base+"key-policy", getKeyPolicyOutput{Policy: policy.Policy, PolicyName: policy.PolicyName})
	}

	// Rotation applies to symmetric encryption keys only. Imported and
	// custom key store keys are asked anyway: KMS answers them with
	// UnsupportedOperationException, which is itself the fact to record.
	if meta == nil || meta.KeySpec == kmstypes.KeySpecSymmetricDefault {
		rot, err := client.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)})
		if err != nil {
			if err := failUnlessCanceled(ctx, sc, base+"key-rotation-status", err); err != nil {
				return err
			}
		} else {
			sc.write(base+"key-rotation-status", getKeyRotationStatusOutput{
				KeyRotationEnabled: rot.KeyRotationEnabled, KeyId: rot.KeyId,
				RotationPeriodInDays: rot.RotationPeriodInDays, NextRotationDate: ts(rot.NextRotationDate),
				OnDemandRotationStartDate: ts(rot.OnDemandRotationStartDate),
			})
		}
	}

	if err := collectGrants(ctx, client, sc, base, id); err != nil {
		return err
	}

	// AWS managed keys cannot carry tags, so they are not asked.
	if meta == nil || meta.KeyManager == kmstypes.KeyManagerTypeCustomer {
		return collectTags(ctx, client, sc, base, id)
	}
	return nil
}

func collectGrants(ctx context.Context, client kmsAPI, sc scope, base, id string) error {
	out := listGrantsOutput{Grants: []grantListEntry{}}
	pages := kms.NewListGrantsPaginator(client, &kms.ListGrantsInput{KeyId: aws.String(id), Limit: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return failUnlessCanceled(ctx, sc, base+"grants", err)
		}
		for _, g := range page.Grants {
			out.Grants = append(out.Grants, fromGrant(g))
		}
	}
	sc.write(base+"grants", out)
	return nil
}

func collectTags(ctx context.Context, client kmsAPI, sc scope, base, id string) error {
	out := listResourceTagsOutput{Tags: []kmsTag{}}
	pages := kms.NewListResourceTagsPaginator(client, &kms.ListResourceTagsInput{KeyId: aws.String(id), Limit: aws.Int32(50)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return failUnlessCanceled(ctx, sc, base+"tags", err)
		}
		for _, t := range page.Tags {
			out.Tags = append(out.Tags, kmsTag{TagKey: t.TagKey, TagValue: t.TagValue})
		}
	}
	sc.write(base+"tags", out)
	return nil
}

// failUnlessCanceled records a failed call, unless the collection itself
// is being cancelled: then the error ends the run instead of becoming a
// misleading fact about the resource.
func failUnlessCanceled(ctx context.Context, sc scope, name string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	sc.fail(name, err)
	return nil
}
