package ctgen

import (
	"fmt"
	"strings"
	"time"
)

// background fills r with an ordinary event: the service mix of a busy
// organisation trail, about 7% KMS (mostly AWS services decrypting on a
// caller's behalf), with some errors, data events and console sign-ins.
func (g *generator) background(r *record, a *account) {
	switch n := g.rng.IntN(1000); {
	case n < 200:
		g.ec2(r, a)
	case n < 400:
		g.s3(r, a)
	case n < 550:
		g.sts(r, a)
	case n < 630:
		g.iam(r, a)
	case n < 700:
		g.kms(r, a)
	case n < 703:
		g.consoleLogin(r, a)
	default:
		g.other(r, a)
	}
	if r.UserIdentity != nil && r.UserIdentity.Type != "AWSService" && r.ErrorCode == "" && g.chance(3) {
		g.fail(r)
	}
}

func (g *generator) fail(r *record) {
	op := strings.TrimSuffix(r.EventSource, ".amazonaws.com") + ":" + r.EventName
	switch {
	case r.EventSource == "ec2.amazonaws.com":
		r.ErrorCode, r.ErrorMessage = "Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: "+r.UserIdentity.ARN+" is not authorized to perform: "+op+" because no identity-based policy allows the "+op+" action"
	case g.chance(30):
		r.ErrorCode, r.ErrorMessage = "ThrottlingException", "Rate exceeded"
	default:
		r.ErrorCode, r.ErrorMessage = "AccessDenied", "User: "+r.UserIdentity.ARN+" is not authorized to perform: "+op+" because no identity-based policy allows the "+op+" action"
	}
	r.ResponseElements = nil
}

func (g *generator) ec2(r *record, a *account) {
	r.EventSource = "ec2.amazonaws.com"
	op := g.pick([]string{"DescribeInstances", "DescribeInstances", "DescribeSecurityGroups", "DescribeVpcs", "DescribeVolumes", "DescribeSubnets", "DescribeInstanceStatus", "CreateTags", "RunInstances"})
	r.EventName = op
	r.ReadOnly = strings.HasPrefix(op, "Describe")
	if g.chance(35) {
		g.byService(r, g.pick([]string{"autoscaling.amazonaws.com", "ssm.amazonaws.com", "elasticloadbalancing.amazonaws.com"}))
	} else {
		g.byHuman(r, a, "ec2", "ec2."+strings.ToLower(op))
	}
	switch op {
	case "CreateTags":
		id := "i-0" + strings.ToLower(g.token(16))
		r.RequestParameters = map[string]any{"resourcesSet": map[string]any{"items": []any{map[string]any{"resourceId": id}}},
			"tagSet": map[string]any{"items": []any{map[string]any{"key": "Owner", "value": "platform"}}}}
		r.ResponseElements = map[string]any{"requestId": r.RequestID, "_return": true}
	case "RunInstances":
		r.RequestParameters = map[string]any{"instancesSet": map[string]any{"items": []any{map[string]any{"imageId": "ami-0" + strings.ToLower(g.token(16)), "minCount": 1, "maxCount": 1}}},
			"instanceType": g.pick([]string{"t3.micro", "m6i.large", "c7g.xlarge"}), "monitoring": map[string]any{"enabled": false}, "disableApiTermination": false}
		r.ResponseElements = map[string]any{"requestId": r.RequestID, "reservationId": "r-0" + strings.ToLower(g.token(16)), "ownerId": a.id}
	default:
		r.RequestParameters = map[string]any{"maxResults": 1000, "filterSet": map[string]any{}, "instancesSet": map[string]any{}}
	}
}

func (g *generator) s3(r *record, a *account) {
	r.EventSource = "s3.amazonaws.com"
	bucket := g.pick(a.buckets)
	host := bucket + ".s3." + r.AWSRegion + ".amazonaws.com"
	if g.chance(60) { // data events
		op := g.pick([]string{"GetObject", "GetObject", "PutObject", "HeadObject"})
		r.EventName, r.ReadOnly = op, op != "PutObject"
		r.ManagementEvent, r.EventCategory = false, "Data"
		key := fmt.Sprintf("%s/%d/%02d/part-%05d.parquet", g.pick([]string{"events", "exports", "tmp"}), 2026, g.rng.IntN(12)+1, g.rng.IntN(100000))
		r.RequestParameters = map[string]any{"bucketName": bucket, "Host": host, "key": key}
		r.AdditionalEventData = map[string]any{"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
			"AuthenticationMethod": "AuthHeader", "x-amz-id-2": g.token(60), "bytesTransferredOut": g.rng.IntN(5_000_000)}
		r.Resources = []resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + bucket + "/" + key}, {AccountID: a.id, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket}}
		if g.chance(50) {
			g.byService(r, "athena.amazonaws.com")
			r.SharedEventID = g.uuid()
			return
		}
		g.byHuman(r, a, "s3", "s3api."+strings.ToLower(op))
		if op == "PutObject" {
			keyARN, _ := g.keyARN(a, r.AWSRegion)
			r.RequestParameters.(map[string]any)["x-amz-server-side-encryption"] = "aws:kms"
			r.RequestParameters.(map[string]any)["x-amz-server-side-encryption-aws-kms-key-id"] = keyARN
			r.ResponseElements = map[string]any{"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": keyARN}
		}
		return
	}
	op := g.pick([]string{"GetBucketAcl", "GetBucketLocation", "ListBuckets", "GetBucketPolicy", "GetBucketEncryption", "GetBucketVersioning"})
	r.EventName, r.ReadOnly = op, true
	r.RequestParameters = map[string]any{"bucketName": bucket, "Host": host, strings.TrimPrefix(strings.ToLower(op), "getbucket"): ""}
	r.Resources = []resource{{AccountID: a.id, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket}}
	if g.chance(40) {
		g.byService(r, "config.amazonaws.com")
		return
	}
	g.byHuman(r, a, "s3", "s3api."+strings.ToLower(op))
}

func (g *generator) sts(r *record, a *account) {
	r.EventSource = "sts.amazonaws.com"
	if g.chance(30) {
		r.EventName, r.ReadOnly = "GetCallerIdentity", true
		g.byHuman(r, a, "sts", "sts.get-caller-identity")
		return
	}
	r.EventName = "AssumeRole"
	role := g.pick(a.roles)
	session := g.pick([]string{"GitHubActions", "terraform", "alice@example.com", "aws-go-sdk-" + fmt.Sprint(g.rng.Int64N(1<<40))})
	t, _ := time.Parse(time.RFC3339, r.EventTime)
	if g.chance(50) {
		g.byService(r, g.pick([]string{"lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com"}))
	} else {
		g.byHuman(r, a, "sts", "sts.assume-role")
	}
	r.RequestParameters = map[string]any{"roleArn": "arn:aws:iam::" + a.id + ":role/" + role, "roleSessionName": session, "durationSeconds": 3600}
	r.ResponseElements = map[string]any{
		"credentials": map[string]any{"accessKeyId": "ASIA" + g.token(16), "sessionToken": g.token(120),
			"expiration": t.Add(time.Hour).UTC().Format("Jan 2, 2006, 3:04:05 PM")},
		"assumedRoleUser": map[string]any{"assumedRoleId": "AROA" + roleIDSuffix(a.id, role) + ":" + session,
			"arn": "arn:aws:sts::" + a.id + ":assumed-role/" + role + "/" + session}}
	r.Resources = []resource{{AccountID: a.id, Type: "AWS::IAM::Role", ARN: "arn:aws:iam::" + a.id + ":role/" + role}}
	r.SharedEventID = g.uuid()
}

func (g *generator) iam(r *record, a *account) {
	r.EventSource = "iam.amazonaws.com"
	r.AWSRegion = "us-east-1"
	op := g.pick([]string{"GetRole", "ListRoles", "GetPolicy", "ListAttachedRolePolicies", "GetUser", "ListAccessKeys", "GenerateCredentialReport"})
	r.EventName, r.ReadOnly = op, op != "GenerateCredentialReport"
	role := g.pick(a.roles)
	switch op {
	case "GetRole", "ListAttachedRolePolicies":
		r.RequestParameters = map[string]any{"roleName": role}
	case "GetPolicy":
		r.RequestParameters = map[string]any{"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
	case "GetUser", "ListAccessKeys":
		r.RequestParameters = map[string]any{"userName": g.pick(a.users)}
	}
	if g.chance(30) {
		g.byService(r, "access-analyzer.amazonaws.com")
		return
	}
	g.byHuman(r, a, "iam", "iam."+strings.ToLower(op))
}

// kms makes ordinary KMS traffic: services decrypting and generating data
// keys on callers' behalf, people describing keys, and key rotation.
func (g *generator) kms(r *record, a *account) {
	r.EventSource = "kms.amazonaws.com"
	keyARN, keyID := g.keyARN(a, r.AWSRegion)
	r.Resources = []resource{{AccountID: a.id, Type: "AWS::KMS::Key", ARN: keyARN}}
	r.ReadOnly = true
	switch n := g.rng.IntN(100); {
	case n < 70:
		r.EventName = g.pick([]string{"Decrypt", "Decrypt", "GenerateDataKey", "Encrypt"})
		svc := g.pick([]string{"s3.amazonaws.com", "secretsmanager.amazonaws.com", "ebs.amazonaws.com", "dynamodb.amazonaws.com"})
		g.byService(r, svc)
		if g.chance(50) {
			t, _ := time.Parse(time.RFC3339, r.EventTime)
			r.UserIdentity = g.human(a, t)
			r.UserIdentity.InvokedBy = svc
		}
		ctx := map[string]any{"aws:s3:arn": "arn:aws:s3:::" + g.pick(a.buckets) + "/" + g.token(12)}
		if svc == "secretsmanager.amazonaws.com" {
			ctx = map[string]any{"SecretARN": "arn:aws:secretsmanager:" + r.AWSRegion + ":" + a.id + ":secret:db-" + g.token(6), "SecretVersionId": g.uuid()}
		}
		r.RequestParameters = map[string]any{"encryptionContext": ctx, "encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": keyARN}
		if r.EventName == "GenerateDataKey" {
			r.RequestParameters = map[string]any{"keyId": keyARN, "encryptionContext": ctx, "keySpec": "AES_256"}
		}
		r.SharedEventID = g.uuid()
	case n < 95:
		r.EventName = g.pick([]string{"DescribeKey", "ListAliases", "GetKeyRotationStatus", "GetKeyPolicy", "ListResourceTags", "ListGrants"})
		r.RequestParameters = map[string]any{"keyId": keyID}
		if r.EventName == "ListAliases" {
			r.RequestParameters, r.Resources = nil, nil
		}
		g.byHuman(r, a, "kms", "kms."+strings.ToLower(r.EventName))
	default: // automatic rotation: an AWS service event with no caller type
		r.EventName, r.ReadOnly, r.EventType = "RotateKey", false, "AwsServiceEvent"
		r.UserIdentity = &userIdentity{AccountID: a.id, InvokedBy: "AWS Internal"}
		r.SourceIPAddress, r.UserAgent = "AWS Internal", "AWS Internal"
		r.RequestParameters = nil
		r.AdditionalEventData = map[string]any{"keyId": keyARN}
	}
}

func (g *generator) consoleLogin(r *record, a *account) {
	r.EventSource, r.EventName, r.EventType = "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn"
	t, _ := time.Parse(time.RFC3339, r.EventTime)
	r.UserIdentity = g.human(a, t)
	r.UserIdentity.AccessKeyID = ""
	r.SourceIPAddress = g.ip()
	r.UserAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	r.RequestParameters = nil
	r.ResponseElements = map[string]any{"ConsoleLogin": "Success"}
	r.AdditionalEventData = map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": g.pick([]string{"Yes", "No"})}
	r.RequestID = ""
}

func (g *generator) other(r *record, a *account) {
	type call struct{ source, op string }
	calls := []call{
		{"lambda", "ListFunctions20150331"}, {"lambda", "GetFunction20150331v2"}, {"logs", "CreateLogStream"},
		{"logs", "DescribeLogGroups"}, {"dynamodb", "DescribeTable"}, {"ssm", "GetParameter"},
		{"ssm", "UpdateInstanceInformation"}, {"secretsmanager", "GetSecretValue"}, {"monitoring", "GetMetricData"},
		{"monitoring", "PutMetricAlarm"}, {"elasticloadbalancing", "DescribeTargetHealth"},
		{"autoscaling", "DescribeAutoScalingGroups"}, {"ecr", "GetAuthorizationToken"}, {"cloudtrail", "DescribeTrails"},
		{"cloudtrail", "LookupEvents"}, {"config", "PutEvaluations"}, {"rds", "DescribeDBInstances"}, {"sqs", "ListQueues"},
	}
	c := calls[g.rng.IntN(len(calls))]
	r.EventSource, r.EventName = c.source+".amazonaws.com", c.op
	r.ReadOnly = strings.HasPrefix(c.op, "Describe") || strings.HasPrefix(c.op, "Get") || strings.HasPrefix(c.op, "List") || c.op == "LookupEvents"
	switch c.op {
	case "GetParameter":
		r.RequestParameters = map[string]any{"name": "/app/" + g.pick([]string{"db-url", "feature-flags", "api-endpoint"}), "withDecryption": true}
	case "GetSecretValue":
		r.RequestParameters = map[string]any{"secretId": "arn:aws:secretsmanager:" + r.AWSRegion + ":" + a.id + ":secret:db-" + g.token(6)}
	case "CreateLogStream":
		r.RequestParameters = map[string]any{"logGroupName": "/aws/lambda/" + g.pick([]string{"ingest", "resize", "notify"}), "logStreamName": "2026/03/02/[$LATEST]" + strings.ToLower(g.token(32))}
	case "DescribeTable":
		r.RequestParameters = map[string]any{"tableName": g.pick([]string{"orders", "sessions", "inventory"})}
	case "LookupEvents":
		r.RequestParameters = map[string]any{"maxResults": 50, "lookupAttributes": []any{map[string]any{"attributeKey": "EventSource", "attributeValue": "kms.amazonaws.com"}}}
	default:
		r.RequestParameters = nil
	}
	if g.chance(40) {
		g.byService(r, g.pick([]string{"lambda.amazonaws.com", "ssm.amazonaws.com", "config.amazonaws.com", "cloudformation.amazonaws.com"}))
		return
	}
	g.byHuman(r, a, c.source, c.source+"."+strings.ToLower(c.op))
}
