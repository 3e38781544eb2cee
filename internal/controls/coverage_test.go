package controls

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/inventory"
)

func TestKeyCoverageGapsAreUnknown(t *testing.T) {
	denied := &inventory.ReadError{Call: "kms:ListKeys", File: "kms/ap-east-1.error.json", Code: "UnrecognizedClientException", Message: "not enabled"}
	noEC2 := &inventory.ReadError{Call: "ec2:DescribeRegions", File: "regions.error.json", Code: "UnauthorizedOperation"}
	tests := []struct {
		name string
		acct *inventory.Account
		want map[string]string // resource -> reason
	}{
		{"complete account has no gaps", &inventory.Account{ID: "111122223333",
			Regions: []*inventory.Region{{Name: "eu-west-1", KeyListing: inventory.Known(struct{}{})}}}, map[string]string{}},
		{"region whose keys could not be listed", &inventory.Account{ID: "111122223333",
			Regions: []*inventory.Region{{Name: "ap-east-1", KeyListing: inventory.Unknown[struct{}](denied)}}},
			map[string]string{"arn:aws:kms:ap-east-1:111122223333:key/*": "the keys of region ap-east-1 could not be read: " + denied.Error()}},
		{"region list unknown", &inventory.Account{ID: "111122223333", Partition: "aws-cn", RegionsIncomplete: noEC2},
			map[string]string{"arn:aws-cn:kms:*:111122223333:key/*": "the account's regions (and so keys outside the regions listed) could not be read: " + noEC2.Error()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Run(CheckContext{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, Catalogue(), []*inventory.Account{tt.acct})
			for _, c := range Catalogue() {
				if c.ResourceType != keyResourceType {
					continue // IAM controls report unread IAM facts their own way
				}
				got := map[string]string{}
				for _, f := range res.Findings {
					if f.ControlID != c.ID {
						continue
					}
					if f.Status != StatusUnknown {
						t.Errorf("%s: %s is %s, want UNKNOWN", c.ID, f.ResourceID, f.Status)
					}
					got[f.ResourceID] = f.Reason
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s findings (-want +got):\n%s", c.ID, diff)
				}
			}
		})
	}
}
