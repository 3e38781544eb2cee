package policy

import (
	"slices"
	"strings"
)

// Partitions lists the AWS partitions a KMS key ARN may name when a
// universe is not pinned to one partition.
var knownPartitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

// KnownPartitions returns the AWS partitions KMSKeys("") ranges over.
func KnownPartitions() []string { return slices.Clone(knownPartitions) }

// Universe is a set of resource names (a regular language) that set
// questions range over, for example every KMS key ARN.
type Universe struct {
	name    string
	key     string
	build   func(n *nfa) language
	exclude []string // glob patterns removed from the set
}

// Name describes the universe for people.
func (u Universe) Name() string { return u.name }

// KMSKeys is every KMS key ARN
// arn:PARTITION:kms:REGION:ACCOUNT:key/ID where REGION has the shape of
// every AWS region, [a-z]+(-[a-z]+)+-[0-9]+, ACCOUNT is 12 digits and ID is a lower-case uuid
// (8-4-4-4-12 hex) or "mrk-" and 32 hex digits (multi-Region keys). An
// empty partition means any of KnownPartitions; a policy only ever acts in
// its own partition, so pin it when you know it (KMS.1 uses "aws").
func KMSKeys(partition string) Universe {
	name := "all KMS keys"
	if partition != "" {
		name += " in partition " + partition
	}
	return Universe{
		name: name,
		key:  "kms-keys:" + partition,
		build: func(n *nfa) language {
			start := n.state()
			b := &seq{n: n, cur: start}
			b.lit("arn:")
			if partition != "" {
				b.lit(partition)
			} else {
				b.oneOfWords(knownPartitions...)
			}
			hex := oneOf("0123456789abcdef")
			// A region: letters, one or more -letters groups, then -digits
			// (us-east-1, us-gov-west-1, eusc-de-east-1).
			letters := oneOf("abcdefghijklmnopqrstuvwxyz")
			b.lit(":kms:").plus(letters)
			loop := b.cur
			b.lit("-").plus(letters)
			b.n.epsilon(b.cur, loop)
			b.lit("-").plus(oneOf("0123456789")).lit(":")
			b.repeat(oneOf("0123456789"), 12).lit(":key/")
			b.alternatives(
				func(s *seq) {
					s.repeat(hex, 8).lit("-").repeat(hex, 4).lit("-").repeat(hex, 4).lit("-").repeat(hex, 4).lit("-").repeat(hex, 12)
				},
				func(s *seq) { s.lit("mrk-").repeat(hex, 32) },
			)
			return language{starts: []int32{start}, finals: []int32{b.cur}}
		},
	}
}

// KMSKeysOutside is KMSKeys(partition) without the keys of the trusted
// accounts (12-digit ids).
func KMSKeysOutside(partition string, trusted []string) Universe {
	u := KMSKeys(partition)
	u.name += " outside accounts " + strings.Join(trusted, ", ")
	for _, acct := range trusted {
		u.exclude = append(u.exclude, "arn:*:kms:*:"+acct+":key/*")
	}
	u.key = cacheKey(u.key+":outside", u.exclude)
	return u
}

// GlobUniverse is the set of strings matched by any of the wildcard
// patterns (* and ?, no policy variables). With fold the patterns are
// lower-cased, for action names, which compare case-insensitively.
func GlobUniverse(name string, patterns []string, fold bool) Universe {
	if fold {
		patterns = lowerAll(patterns)
	}
	return Universe{
		name: name,
		key:  cacheKey("globs", patterns),
		build: func(n *nfa) language {
			gs := make([]glob, len(patterns))
			for i, p := range patterns {
				gs[i] = compileGlob(p, false)
			}
			return n.addGlobs(gs)
		},
	}
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// Contains reports whether s is in the universe, by running its
// nondeterministic automaton directly (no determinisation).
func (u Universe) Contains(s string) bool {
	n := newNFA()
	in := n.run(u.build(n), s)
	if len(u.exclude) == 0 {
		return in
	}
	return in && !n.run(n.addGlobs(compileAll(u.exclude)), s)
}

func compileAll(patterns []string) []glob {
	out := make([]glob, len(patterns))
	for i, p := range patterns {
		out[i] = compileGlob(p, false)
	}
	return out
}
