package report

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// asffWriter writes AWS Security Finding Format for Security Hub's
// BatchImportFindings: one finding per control and resource, every status
// included so that a fixed resource's finding turns PASSED in Security Hub.
//
// The output is JSON Lines: each line is one complete BatchImportFindings
// request body, {"Findings":[...]}, holding at most 100 findings (the API's
// limit) of one account and one region (the region of the ProductArn, where
// the request must be sent). Each line is produced by the AWS SDK's own
// serializer and input validation, so the wire shape is exactly the API's.
// Import with:
//
//	while IFS= read -r req; do
//	  region=$(printf '%s' "$req" | jq -r '.Findings[0].Region')
//	  aws securityhub batch-import-findings --region "$region" --cli-input-json "$req"
//	done < findings.asff
//
// Status mapping (Security Hub's documented meanings): PASS -> PASSED,
// FAIL -> FAILED, UNKNOWN -> WARNING ("some information is missing"), with
// the reason in the description; NOT_APPLICABLE -> NOT_AVAILABLE with
// RecordState ARCHIVED, as Security Hub does for its own not-applicable
// control results. Workflow.Status is NEW, RESOLVED for PASS, SUPPRESSED for
// suppressed findings.
type asffWriter struct{ opts Options }

// asffBatch is Security Hub's per-request limit.
const asffBatch = 100

const (
	asffTitleMax       = 256
	asffDescriptionMax = 1024
	asffRemediationMax = 512
	asffProductField   = 2048 // characters per ProductFields value
)

func (a asffWriter) Write(w io.Writer, s Scan) error {
	home := cmp.Or(a.opts.HomeRegion, "us-east-1")
	created := s.generatedAt().Format(timeRFC3339Millis)
	groups := map[[2]string][]types.AwsSecurityFinding{}
	for _, f := range sortedFindings(s.Findings) {
		if !policy.IsAccountID(f.AccountID) {
			return fmt.Errorf("asff: %s on %s: account id %q is not a 12-digit AWS account id", f.ControlID, f.ResourceID, f.AccountID)
		}
		region := cmp.Or(f.Region, home)
		key := [2]string{f.AccountID, region}
		groups[key] = append(groups[key], asffFinding(f, region, created))
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]string) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	ser := newBatchSerializer()
	for _, k := range keys {
		for batch := range slices.Chunk(groups[k], asffBatch) {
			body, err := ser.serialize(k[1], batch)
			if err != nil {
				return fmt.Errorf("asff: account %s region %s: %w", k[0], k[1], err)
			}
			if _, err := w.Write(append(body, '\n')); err != nil {
				return err
			}
		}
	}
	return nil
}

func asffFinding(f controls.Finding, region, created string) types.AwsSecurityFinding {
	c := controlOf(f)
	partition := arnPartition(f.ResourceID)
	desc := f.Reason
	if f.Status == controls.StatusUnknown {
		desc = "Could not be evaluated: " + f.Reason
	}
	if c.Rationale != "" {
		desc += "\n\n" + c.Rationale
	}
	out := types.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"),
		Id:            aws.String(asffID(f)),
		ProductArn:    aws.String(fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, f.AccountID, f.AccountID)),
		ProductName:   aws.String("kmsguard"),
		CompanyName:   aws.String("kmsguard"),
		GeneratorId:   aws.String("kmsguard/" + f.ControlID),
		AwsAccountId:  aws.String(f.AccountID),
		Region:        aws.String(region),
		Types:         []string{"Software and Configuration Checks/AWS Security Best Practices"},
		CreatedAt:     aws.String(created),
		UpdatedAt:     aws.String(created),
		Severity:      &types.Severity{Label: asffSeverity(f.Severity), Original: aws.String(f.Severity.String())},
		Title:         aws.String(truncate(f.ControlID+" "+f.Title, asffTitleMax)),
		Description:   aws.String(truncate(desc, asffDescriptionMax)),
		Resources: []types.Resource{{
			Type:      aws.String(asffResourceType(f.ResourceType)),
			Id:        aws.String(f.ResourceID),
			Partition: types.Partition(partition),
			Region:    aws.String(region),
		}},
		Compliance:  asffCompliance(f, c),
		Workflow:    &types.Workflow{Status: asffWorkflow(f)},
		RecordState: types.RecordStateActive,
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: asffSeverity(f.Severity), Original: aws.String(f.Severity.String())},
			Types:    []string{"Software and Configuration Checks/AWS Security Best Practices"},
		},
		ProductFields: map[string]string{"kmsguard/ControlId": f.ControlID, "kmsguard/Status": string(f.Status)},
	}
	if f.Status == controls.StatusNotApplicable {
		out.RecordState = types.RecordStateArchived
	}
	if text, _ := remediationText(c.Remediation); text != "" {
		rec := &types.Recommendation{Text: aws.String(truncate(text, asffRemediationMax))}
		if len(c.References) > 0 {
			rec.Url = aws.String(c.References[0])
		}
		out.Remediation = &types.Remediation{Recommendation: rec}
	}
	if len(f.Evidence) > 0 {
		out.ProductFields["kmsguard/Evidence"] = truncate(strings.Join(f.Evidence, "\n"), asffProductField)
	}
	if f.Suppressed != nil {
		out.ProductFields["kmsguard/SuppressionReason"] = truncate(f.Suppressed.Reason+expiry(f.Suppressed), asffProductField)
	}
	return out
}

func asffCompliance(f controls.Finding, c *controls.Control) *types.Compliance {
	comp := &types.Compliance{Status: asffComplianceStatus(f.Status)}
	if len(c.Mappings.SecurityHub) > 0 {
		comp.SecurityControlId = aws.String(c.Mappings.SecurityHub[0])
	}
	for _, id := range c.Mappings.NIST80053 {
		comp.RelatedRequirements = append(comp.RelatedRequirements, "NIST.800-53.r5 "+id)
	}
	for _, id := range c.Mappings.CIS {
		comp.RelatedRequirements = append(comp.RelatedRequirements, "CIS AWS Foundations Benchmark/"+id)
	}
	for _, id := range c.Mappings.PCIDSS {
		comp.RelatedRequirements = append(comp.RelatedRequirements, "PCI DSS/"+id)
	}
	if len(comp.RelatedRequirements) > 32 { // the API's limit
		comp.RelatedRequirements = comp.RelatedRequirements[:32]
	}
	return comp
}

func asffComplianceStatus(s controls.Status) types.ComplianceStatus {
	switch s {
	case controls.StatusPass:
		return types.ComplianceStatusPassed
	case controls.StatusFail:
		return types.ComplianceStatusFailed
	case controls.StatusUnknown:
		return types.ComplianceStatusWarning
	}
	return types.ComplianceStatusNotAvailable
}

func asffWorkflow(f controls.Finding) types.WorkflowStatus {
	switch {
	case f.Suppressed != nil:
		return types.WorkflowStatusSuppressed
	case f.Status == controls.StatusPass:
		return types.WorkflowStatusResolved
	}
	return types.WorkflowStatusNew
}

func asffSeverity(l severity.Level) types.SeverityLabel {
	switch l {
	case severity.Critical:
		return types.SeverityLabelCritical
	case severity.High:
		return types.SeverityLabelHigh
	case severity.Medium:
		return types.SeverityLabelMedium
	case severity.Low:
		return types.SeverityLabelLow
	}
	return types.SeverityLabelInformational
}

// asffResourceType maps a CloudFormation type to Security Hub's resource type.
func asffResourceType(cfn string) string {
	switch cfn {
	case "AWS::KMS::Key":
		return "AwsKmsKey"
	case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
		return "AwsIamPolicy"
	case "AWS::IAM::User":
		return "AwsIamUser"
	case "AWS::IAM::Role":
		return "AwsIamRole"
	case "AWS::IAM::Group":
		return "AwsIamGroup"
	}
	return "Other"
}

// asffID is stable across runs so that a re-import updates the finding.
func asffID(f controls.Finding) string {
	return fmt.Sprintf("kmsguard/%s/%s/%s/%s", f.AccountID, cmp.Or(f.Region, "global"), f.ControlID, findingHash(f))
}

func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// batchSerializer produces the exact BatchImportFindings request body the
// AWS SDK would send: the call runs through the SDK client's full middleware
// stack (validation, serialization) against an in-memory HTTP client that
// keeps the body and answers like Security Hub. Nothing leaves the process
// and no credentials are used.
type batchSerializer struct {
	capture *captureClient
	client  *securityhub.Client
}

func newBatchSerializer() *batchSerializer {
	capture := &captureClient{}
	return &batchSerializer{
		capture: capture,
		client: securityhub.New(securityhub.Options{
			Region:      "us-east-1", // replaced per call
			Credentials: aws.AnonymousCredentials{},
			HTTPClient:  capture,
		}),
	}
}

func (b *batchSerializer) serialize(region string, findings []types.AwsSecurityFinding) ([]byte, error) {
	b.capture.body = nil
	// The call is in-memory; there is no caller context to inherit.
	_, err := b.client.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: findings},
		func(o *securityhub.Options) { o.Region = region })
	if err != nil {
		return nil, err
	}
	return sortProductFields(b.capture.body)
}

// sortProductFields rewrites a request body so that each finding's
// ProductFields members are in key order: the SDK writes map members in Go's
// random map order, and reports must be byte-for-byte reproducible. Only the
// findings' top level is re-encoded (encoding/json sorts map keys and copies
// raw members verbatim); everything else stays as the SDK wrote it.
func sortProductFields(body []byte) ([]byte, error) {
	var req struct{ Findings []map[string]json.RawMessage }
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	for _, f := range req.Findings {
		raw, ok := f["ProductFields"]
		if !ok {
			continue
		}
		var fields map[string]string
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, err
		}
		sorted, err := marshalNoEscape(fields)
		if err != nil {
			return nil, err
		}
		f["ProductFields"] = sorted
	}
	return marshalNoEscape(req)
}

func marshalNoEscape(v any) ([]byte, error) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(out.Bytes()), nil
}

type captureClient struct{ body []byte }

func (c *captureClient) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	c.body = bytes.TrimSpace(body)
	resp := `{"FailedCount":0,"FailedFindings":[],"SuccessCount":0}`
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": []string{"application/json"}},
		Body:    io.NopCloser(strings.NewReader(resp)),
		Request: req,
	}, nil
}
