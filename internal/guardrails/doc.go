// Package guardrails generates the preventive controls that protect KMS keys:
// service control policies, key-policy statements that give a key real
// deletion protection, and EventBridge rules (CloudFormation and Terraform)
// that notify on the KMS events kmsguard's detection rules watch.
//
// Every generator is pure: options in, documents out. Tests check the
// generated policies with kmsguard's own policy engine, so what the docs
// promise (a non-authorised role is denied, the break-glass role is not, the
// account keeps control of its key) is verified, not assumed.
package guardrails
