package cloudtrail

import "github.com/kmsguard/kmsguard/internal/alert"

// Actor returns who made the call, from userIdentity. AWS-initiated events
// have no type and often only accountId and invokedBy.
func (r *Record) Actor() alert.Actor {
	return alert.Actor{
		Type:             r.String("userIdentity.type"),
		ARN:              r.String("userIdentity.arn"),
		PrincipalID:      r.String("userIdentity.principalId"),
		AccountID:        r.String("userIdentity.accountId"),
		AccessKeyID:      r.String("userIdentity.accessKeyId"),
		UserName:         r.String("userIdentity.userName"),
		SessionIssuerARN: r.String("userIdentity.sessionContext.sessionIssuer.arn"),
		InvokedBy:        r.String("userIdentity.invokedBy"),
		MFAAuthenticated: r.MFAAuthenticated(),
	}
}
