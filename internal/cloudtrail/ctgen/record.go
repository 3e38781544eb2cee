package ctgen

// record is one CloudTrail record in CloudTrail's own key order; omitempty
// keeps absent fields absent, and pointers to raw JSON null keep the
// nulls CloudTrail writes.
type record struct {
	EventVersion        string        `json:"eventVersion"`
	UserIdentity        *userIdentity `json:"userIdentity"`
	EventTime           string        `json:"eventTime"`
	EventSource         string        `json:"eventSource"`
	EventName           string        `json:"eventName"`
	AWSRegion           string        `json:"awsRegion"`
	SourceIPAddress     string        `json:"sourceIPAddress"`
	UserAgent           string        `json:"userAgent"`
	ErrorCode           string        `json:"errorCode,omitempty"`
	ErrorMessage        string        `json:"errorMessage,omitempty"`
	RequestParameters   any           `json:"requestParameters"`
	ResponseElements    any           `json:"responseElements"`
	AdditionalEventData any           `json:"additionalEventData,omitempty"`
	RequestID           string        `json:"requestID,omitempty"`
	EventID             string        `json:"eventID"`
	ReadOnly            bool          `json:"readOnly"`
	Resources           []resource    `json:"resources,omitempty"`
	EventType           string        `json:"eventType"`
	ManagementEvent     bool          `json:"managementEvent"`
	RecipientAccountID  string        `json:"recipientAccountId"`
	SharedEventID       string        `json:"sharedEventID,omitempty"`
	VPCEndpointID       string        `json:"vpcEndpointId,omitempty"`
	EventCategory       string        `json:"eventCategory"`
	TLSDetails          *tlsDetails   `json:"tlsDetails,omitempty"`
	SessionFromConsole  string        `json:"sessionCredentialFromConsole,omitempty"`
}

type userIdentity struct {
	Type           string          `json:"type,omitempty"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	SessionIssuer       sessionIssuer     `json:"sessionIssuer"`
	WebIDFederationData struct{}          `json:"webIdFederationData"`
	Attributes          sessionAttributes `json:"attributes"`
}

type sessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type sessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type resource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}
