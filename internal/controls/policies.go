package controls

import (
	"runtime"
	"sync"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// Helpers shared by the controls that read policy documents.

// parseDocument parses a policy document of the account's partition. The
// error is the engine's *policy.ParseError, which names the JSON path, line
// and column.
func parseDocument(doc inventory.Document, partition string) (*policy.Policy, error) {
	return policy.ParseWith([]byte(doc.Text), policy.ParseOptions{Partition: partition})
}

// partitionOf returns the account's partition, "aws" when unset.
func partitionOf(acct *inventory.Account) string {
	if acct.Partition == "" {
		return "aws"
	}
	return acct.Partition
}

// parallelFindings runs check on every item on GOMAXPROCS goroutines and
// returns the findings in item order. Checks over thousands of keys or
// policies are independent, and the shared Analyzer is safe for concurrent
// use, so this is where a scan spends both cores.
func parallelFindings[T any](items []T, check func(T) []Finding) []Finding {
	results := make([][]Finding, len(items))
	workers := min(runtime.GOMAXPROCS(0), len(items))
	if workers <= 1 {
		for i, it := range items {
			results[i] = check(it)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for i := range next {
					results[i] = check(items[i])
				}
			})
		}
		for i := range items {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	n := 0
	for _, r := range results {
		n += len(r)
	}
	out := make([]Finding, 0, n)
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

// rootARN is the account root principal's ARN.
func rootARN(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":root"
}

// keyMetadata returns the key's metadata or an UNKNOWN finding.
func keyMetadata(k *inventory.Key) (inventory.KeyMetadata, *Finding) {
	md, rerr := k.Metadata.Get()
	if rerr != nil {
		f := Unknown(k.ARN, k.Region, "key metadata (DescribeKey)", rerr)
		return md, &f
	}
	return md, nil
}

// keyPolicy parses the key's policy, or returns an UNKNOWN finding saying
// why it could not be read or parsed.
func keyPolicy(k *inventory.Key, partition string) (*policy.Policy, *Finding) {
	doc, rerr := k.Policy.Get()
	if rerr != nil {
		f := Unknown(k.ARN, k.Region, "key policy (GetKeyPolicy)", rerr)
		return nil, &f
	}
	p, err := parseDocument(doc, partition)
	if err != nil {
		f := Finding{Status: StatusUnknown, ResourceID: k.ARN, Region: k.Region,
			Reason: "key policy could not be parsed: " + err.Error()}
		return nil, &f
	}
	return p, nil
}

// customerKeyPolicy parses the policy of a customer-managed key. For an
// AWS-managed key (AWS owns its policy), or a key whose metadata or policy
// is unknown, it returns that key's finding instead.
func customerKeyPolicy(k *inventory.Key, partition string) (*policy.Policy, *Finding) {
	md, unknown := keyMetadata(k)
	if unknown != nil {
		return nil, unknown
	}
	if md.Manager == inventory.ManagerAWS {
		f := NotApplicable(k.ARN, k.Region, "AWS-managed key: AWS owns its key policy")
		return nil, &f
	}
	return keyPolicy(k, partition)
}

// editKeyPolicyCLI is the remediation of every control fixed by editing the
// key policy: download it, edit the statements the finding names, put it back.
func editKeyPolicyCLI() []string {
	return []string{
		"aws kms get-key-policy --key-id <key-id> --policy-name default --output text --region <region> > policy.json",
		"aws kms put-key-policy --key-id <key-id> --policy-name default --policy file://policy.json --region <region>",
	}
}

// analyzerOf returns the scan's shared Analyzer; a check called outside Run
// (which always sets one) gets a fresh one rather than a nil dereference.
func analyzerOf(cc CheckContext) *policy.Analyzer {
	if cc.Analyzer != nil {
		return cc.Analyzer
	}
	return policy.NewAnalyzer(policy.DefaultMaxStates)
}
