package controls

// Catalogue returns the posture controls in the order reports list them.
// It builds fresh values on every call: there is no global registry to
// mutate, and adding a control means adding one line here (and its pass and
// fail fixtures, which a convention test demands).
func Catalogue() []Control {
	return append([]Control{
		kms1CustomerPolicies(),
		kms2InlinePolicies(),
		iamOutsideTrusted(),
		kms3ScheduledDeletion(),
		kms4Rotation(),
		kms5PublicKeys(),
		rootAccess(),
		deletionProtection(),
		crossAccountKeyPolicies(),
		lockoutRisk(),
		grantDelegation(),
	}, iamkmsControls()...)
}

// Lookup returns the control with the id from cat, or nil.
func Lookup(cat []Control, id string) *Control {
	for i := range cat {
		if cat[i].ID == id {
			return &cat[i]
		}
	}
	return nil
}

// keyResourceType is the CloudFormation type of a KMS key.
const keyResourceType = "AWS::KMS::Key"
