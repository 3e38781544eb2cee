package awsfake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func testServer(t *testing.T) (*Server, aws.Config) {
	t.Helper()
	srv := New(Config{
		Accounts: []*Account{
			{ID: "111111111111", AccessKey: "AKIAONE", Regions: map[string]*Region{"eu-west-1": {}}, DisabledRegions: []string{"me-south-1"}},
		},
		Deny: func(_, _, op, _ string) bool {
			return op == "GetAccountAuthorizationDetails" || op == "DescribeRegions"
		},
	})
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAONE", "secret", ""),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
	return srv, cfg
}

// TestErrorsReachTheSDKAsAWSErrors checks that each protocol's error
// document is decoded by the real SDK into the code AWS would send.
func TestErrorsReachTheSDKAsAWSErrors(t *testing.T) {
	_, cfg := testServer(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{name: "iam query error", wantCode: "AccessDenied", call: func() error {
			_, err := iam.NewFromConfig(cfg).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
			return err
		}},
		{name: "ec2 query error", wantCode: "UnauthorizedOperation", call: func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}},
		{name: "sts assume role denied", wantCode: "AccessDenied", call: func() error {
			_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/x"), RoleSessionName: aws.String("s")})
			return err
		}},
		{name: "organizations not in use", wantCode: "AWSOrganizationsNotInUseException", call: func() error {
			_, err := organizations.NewFromConfig(cfg).ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		}},
		{name: "kms unknown key", wantCode: "NotFoundException", call: func() error {
			_, err := kms.NewFromConfig(cfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("nope")})
			return err
		}},
		{name: "kms disabled region", wantCode: "UnrecognizedClientException", call: func() error {
			_, err := kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = "me-south-1" }).ListKeys(ctx, &kms.ListKeysInput{})
			return err
		}},
		{name: "unknown access key", wantCode: "InvalidClientTokenId", call: func() error {
			c := cfg.Copy()
			c.Credentials = credentials.NewStaticCredentialsProvider("AKIAWHO", "secret", "")
			_, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an AWS API error", err)
			}
			if apiErr.ErrorCode() != tt.wantCode {
				t.Errorf("code = %q, want %q (message %q)", apiErr.ErrorCode(), tt.wantCode, apiErr.ErrorMessage())
			}
		})
	}
}

func TestThrottlingAndWireFormat(t *testing.T) {
	srv := New(Config{
		Accounts: []*Account{{ID: "111111111111", AccessKey: "AKIAONE", Regions: map[string]*Region{"eu-west-1": {}}}},
		KMSRate:  0.001, KMSBurst: 1,
	})
	defer srv.Close()
	send := func() (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAONE/20240101/eu-west-1/kms/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := send(); code != 200 || body != `{"Keys":[],"Truncated":false}` {
		t.Errorf("first request: %d %s", code, body)
	}
	if code, body := send(); code != 400 || body != `{"__type":"ThrottlingException","message":"Rate exceeded"}` {
		t.Errorf("second request: %d %s, want a ThrottlingException", code, body)
	}
	if s := srv.Stats(); s.Throttled != 1 || s.Calls["kms:ListKeys"] != 2 {
		t.Errorf("stats = %+v", s)
	}
}
