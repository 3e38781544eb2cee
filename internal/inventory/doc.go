// Package inventory is kmsguard's one normalised model of an AWS account: KMS
// keys with their policies, grants, rotation status, aliases and tags; IAM
// users, groups, roles and managed policies; and optional organisation SCPs.
// Every source (snapshot directory, live collector, IaC) produces an Account,
// and controls read only this model.
//
// Every fact that may fail to load is a Fact[T]: either known, or unknown
// with the ReadError that explains why. Policy documents are kept as text
// (with the form they arrived in); parsing them is the policy package's job.
//
// The package is free of the AWS SDK: the snapshot loader parses the JSON the
// AWS CLI prints with encoding/json.
package inventory
