// Package demogen writes kmsguard snapshots: the committed demo snapshot
// under examples/demo-snapshot (Demo) and large deterministic accounts for
// benchmarks (Large). The files have the exact shapes `aws ... --output json`
// prints, so they also document the snapshot format by example.
package demogen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Files maps a slash-separated snapshot path to its content.
type Files map[string][]byte

// put stores v as the AWS CLI prints JSON (four-space indent, trailing newline).
func (f Files) put(path string, v any) {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		panic(fmt.Sprintf("demogen: %s: %v", path, err)) // only our own literal values reach here
	}
	f[path] = append(b, '\n')
}

// putError stores the .error.json of a failed call.
func (f Files) putError(path, code, message string) {
	f.put(path, map[string]string{"Code": code, "Message": message})
}

// WriteDir writes the files under dir, creating directories.
func (f Files) WriteDir(dir string) error {
	for _, name := range f.Names() {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Names returns the paths in sorted order.
func (f Files) Names() []string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// cliTime formats t as the AWS CLI prints timestamps.
func cliTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000-07:00")
}

// obj is a JSON object; encoding/json sorts its keys, which keeps output stable.
type obj = map[string]any

// policyText renders a policy document as the JSON text KMS returns inside
// the GetKeyPolicy "Policy" string.
func policyText(statements ...obj) string {
	b, err := json.MarshalIndent(obj{"Version": "2012-10-17", "Id": "key-policy", "Statement": statements}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// iamDoc is an IAM policy document object (the CLI prints IAM documents as
// decoded JSON objects).
func iamDoc(statements ...obj) obj {
	return obj{"Version": "2012-10-17", "Statement": statements}
}

func allow(actions any, resources any) obj {
	return obj{"Effect": "Allow", "Action": actions, "Resource": resources}
}

func deny(actions any, resources any) obj {
	return obj{"Effect": "Deny", "Action": actions, "Resource": resources}
}

// key describes one demo key; the files are derived from it.
type key struct {
	region, id, alias string
	manager           string // AWS or CUSTOMER
	state             string
	origin            string
	spec, usage       string
	description       string
	created           time.Time
	rotation          *rotation // nil: not enabled (or unsupported for the key type)
	rotationErr       string    // AWS error code of a failed GetKeyRotationStatus
	policy            string
	policyErr         string
	grants            []obj
	tags              map[string]string
	mr                *multiRegion
	deletionDate      *time.Time
	pendingWindow     int
	customKeyStore    string
	hsmCluster        string
	xksKeyID          string
	validTo           *time.Time
}

type rotation struct {
	periodDays int
	next       time.Time
}

type multiRegion struct {
	typ           string // PRIMARY or REPLICA
	primaryRegion string
	replicas      []string // regions
}

func (k *key) arn(account string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", k.region, account, k.id)
}

// write stores the five per-key files.
func (k *key) write(f Files, account string) {
	dir := fmt.Sprintf("kms/%s/keys/%s/", k.region, k.id)
	enabled := k.state == "Enabled"
	md := obj{
		"AWSAccountId": account, "KeyId": k.id, "Arn": k.arn(account),
		"CreationDate": cliTime(k.created), "Enabled": enabled, "Description": k.description,
		"KeyUsage": k.usage, "KeyState": k.state, "Origin": k.origin, "KeyManager": k.manager,
		"CustomerMasterKeySpec": k.spec, "KeySpec": k.spec, "MultiRegion": k.mr != nil,
	}
	switch {
	case k.usage == "SIGN_VERIFY" && k.spec[:3] == "RSA":
		md["SigningAlgorithms"] = []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_256"}
	case k.usage == "SIGN_VERIFY":
		md["SigningAlgorithms"] = []string{"ECDSA_SHA_256"}
	case k.usage == "GENERATE_VERIFY_MAC":
		md["MacAlgorithms"] = []string{"HMAC_SHA_256"}
	case k.spec == "SYMMETRIC_DEFAULT":
		md["EncryptionAlgorithms"] = []string{"SYMMETRIC_DEFAULT"}
	default:
		md["EncryptionAlgorithms"] = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}
	}
	if k.origin == "EXTERNAL" {
		md["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE"
		if k.validTo != nil {
			md["ExpirationModel"] = "KEY_MATERIAL_EXPIRES"
			md["ValidTo"] = cliTime(*k.validTo)
		}
	}
	if k.customKeyStore != "" {
		md["CustomKeyStoreId"] = k.customKeyStore
	}
	if k.hsmCluster != "" {
		md["CloudHsmClusterId"] = k.hsmCluster
	}
	if k.xksKeyID != "" {
		md["XksKeyConfiguration"] = obj{"Id": k.xksKeyID}
	}
	if k.deletionDate != nil {
		md["DeletionDate"] = cliTime(*k.deletionDate)
	}
	if k.pendingWindow != 0 {
		md["PendingDeletionWindowInDays"] = k.pendingWindow
	}
	if k.mr != nil {
		primaryARN := fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", k.mr.primaryRegion, account, k.id)
		var reps []obj
		for _, r := range k.mr.replicas {
			reps = append(reps, obj{"Arn": fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", r, account, k.id), "Region": r})
		}
		md["MultiRegionConfiguration"] = obj{"MultiRegionKeyType": k.mr.typ,
			"PrimaryKey": obj{"Arn": primaryARN, "Region": k.mr.primaryRegion}, "ReplicaKeys": reps}
	}
	f.put(dir+"describe-key.json", obj{"KeyMetadata": md})

	switch {
	case k.rotationErr != "":
		f.putError(dir+"key-rotation-status.error.json", k.rotationErr,
			fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/KmsGuardAudit/kmsguard is not authorized to perform: kms:GetKeyRotationStatus on resource: %s because no identity-based policy allows the kms:GetKeyRotationStatus action", account, k.arn(account)))
	case k.rotation != nil:
		f.put(dir+"key-rotation-status.json", obj{"KeyRotationEnabled": true, "KeyId": k.arn(account),
			"RotationPeriodInDays": k.rotation.periodDays, "NextRotationDate": cliTime(k.rotation.next)})
	default:
		f.put(dir+"key-rotation-status.json", obj{"KeyRotationEnabled": false, "KeyId": k.arn(account)})
	}
	if k.policyErr != "" {
		f.putError(dir+"key-policy.error.json", k.policyErr,
			fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/KmsGuardAudit/kmsguard is not authorized to perform: kms:GetKeyPolicy on resource: %s because the key policy does not allow it", account, k.arn(account)))
	} else {
		f.put(dir+"key-policy.json", obj{"Policy": k.policy, "PolicyName": "default"})
	}
	grants := make([]obj, 0, len(k.grants))
	for _, g := range k.grants {
		g = cloneObj(g)
		g["KeyId"] = k.arn(account)
		grants = append(grants, g)
	}
	f.put(dir+"grants.json", obj{"Grants": grants, "Truncated": false})
	tags := []obj{}
	keys := make([]string, 0, len(k.tags))
	for t := range k.tags {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	for _, t := range keys {
		tags = append(tags, obj{"TagKey": t, "TagValue": k.tags[t]})
	}
	f.put(dir+"tags.json", obj{"Tags": tags, "Truncated": false})
}

func cloneObj(o obj) obj {
	c := make(obj, len(o))
	for k, v := range o {
		c[k] = v
	}
	return c
}

// writeAliases stores kms/<region>/aliases.json for the keys of region.
func writeAliases(f Files, account, region string, keys []*key) {
	var aliases []obj
	for _, k := range keys {
		if k.region != region || k.alias == "" {
			continue
		}
		aliases = append(aliases, obj{"AliasName": k.alias,
			"AliasArn":    fmt.Sprintf("arn:aws:kms:%s:%s:%s", region, account, k.alias),
			"TargetKeyId": k.id, "CreationDate": cliTime(k.created), "LastUpdatedDate": cliTime(k.created)})
	}
	sort.Slice(aliases, func(i, j int) bool { return aliases[i]["AliasName"].(string) < aliases[j]["AliasName"].(string) })
	f.put("kms/"+region+"/aliases.json", obj{"Aliases": aliases})
}
