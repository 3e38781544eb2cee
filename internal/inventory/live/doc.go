// Package live collects a kmsguard snapshot from real AWS accounts through
// the AWS SDK for Go v2 and writes it in the snapshot directory format of
// DESIGN.md: every file is what `aws <service> <operation> --output json`
// prints, and every failed call leaves a `<name>.error.json` fact instead.
//
// The collector is read-only by construction: it talks to AWS only through
// the small consumer-side interfaces in clients.go, which list nothing but
// read operations (a test enforces that).
package live
