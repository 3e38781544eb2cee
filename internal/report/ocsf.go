package report

import (
	"cmp"
	"encoding/json"
	"io"
	"strings"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// OCSFVersion is the OCSF schema version the ocsf writers target; tests
// check it against the schema they validate with.
const OCSFVersion = "1.9.0-dev"

// ocsfWriter writes one OCSF Compliance Finding (class 2003) per finding as
// JSON Lines (one event per line), the shape log pipelines and data lakes
// ingest. It applies the cloud and datetime profiles.
//
// compliance.status_id: PASS 1 Pass, FAIL 3 Fail, UNKNOWN 0 Unknown (with
// the reason in status_details), NOT_APPLICABLE 99 Other "Not Applicable".
// The finding's own status_id is 1 New, 4 Resolved for PASS and
// NOT_APPLICABLE, 3 Suppressed for suppressed findings.
type ocsfWriter struct{}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
	URL        string `json:"url_string,omitempty"`
}

type ocsfMetadata struct {
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	Profiles []string    `json:"profiles"`
	UID      string      `json:"uid,omitempty"`
	LogName  string      `json:"log_name,omitempty"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	Type   string `json:"type"`
	TypeID int    `json:"type_id"`
}

type ocsfCloud struct {
	Provider  string       `json:"provider"`
	Region    string       `json:"region"`
	Partition string       `json:"cloud_partition,omitempty"`
	Account   *ocsfAccount `json:"account,omitempty"`
}

type ocsfResource struct {
	UID       string `json:"uid"`
	Name      string `json:"name,omitempty"`
	Type      string `json:"type,omitempty"`
	Region    string `json:"region,omitempty"`
	Provider  string `json:"provider,omitempty"`
	Partition string `json:"cloud_partition,omitempty"`
	RoleID    int    `json:"role_id"`
	Role      string `json:"role"`
}

type ocsfRemediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references,omitempty"`
}

type ocsfCompliance struct {
	Control       string   `json:"control"`
	Standards     []string `json:"standards,omitempty"`
	Requirements  []string `json:"requirements,omitempty"`
	Status        string   `json:"status"`
	StatusID      int      `json:"status_id"`
	StatusDetails []string `json:"status_details,omitempty"`
}

type ocsfFindingInfo struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Desc        string   `json:"desc,omitempty"`
	Types       []string `json:"types,omitempty"`
	CreatedTime int64    `json:"created_time,omitempty"`
	CreatedDT   string   `json:"created_time_dt,omitempty"`
}

// ocsfClassification is the set of attributes every OCSF event starts with.
type ocsfClassification struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	Time         int64  `json:"time"`
	TimeDT       string `json:"time_dt"`
	Message      string `json:"message"`
}

type ocsfComplianceFinding struct {
	ocsfClassification
	Metadata    ocsfMetadata     `json:"metadata"`
	Cloud       ocsfCloud        `json:"cloud"`
	FindingInfo ocsfFindingInfo  `json:"finding_info"`
	Compliance  ocsfCompliance   `json:"compliance"`
	Resources   []ocsfResource   `json:"resources"`
	Remediation *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped    map[string]any   `json:"unmapped,omitempty"`
}

// ocsfSeverity maps a level onto OCSF severity_id and its caption.
func ocsfSeverity(l severity.Level) (int, string) {
	switch l {
	case severity.Informational:
		return 1, "Informational"
	case severity.Low:
		return 2, "Low"
	case severity.Medium:
		return 3, "Medium"
	case severity.High:
		return 4, "High"
	case severity.Critical:
		return 5, "Critical"
	}
	return 0, "Unknown"
}

func ocsfComplianceStatus(s controls.Status) (int, string) {
	switch s {
	case controls.StatusPass:
		return 1, "Pass"
	case controls.StatusFail:
		return 3, "Fail"
	case controls.StatusUnknown:
		return 0, "Unknown"
	}
	return 99, "Not Applicable"
}

func ocsfFindingStatus(f controls.Finding) (int, string) {
	switch {
	case f.Suppressed != nil:
		return 3, "Suppressed"
	case f.Status == controls.StatusPass || f.Status == controls.StatusNotApplicable:
		return 4, "Resolved"
	}
	return 1, "New"
}

func ocsfProductOf(version string) ocsfProduct {
	return ocsfProduct{Name: "kmsguard", VendorName: "kmsguard", Version: version, URL: toolURI}
}

func (ocsfWriter) Write(w io.Writer, s Scan) error {
	at := s.generatedAt()
	ms, dt := at.UnixMilli(), at.Format(timeRFC3339Millis)
	enc := json.NewEncoder(w)
	for _, f := range sortedFindings(s.Findings) {
		c := controlOf(f)
		sevID, sevName := ocsfSeverity(f.Severity)
		stID, stName := ocsfFindingStatus(f)
		cID, cName := ocsfComplianceStatus(f.Status)
		partition := arnPartition(f.ResourceID)
		region := f.Region
		if region == "" {
			region = "global" // IAM is a global service
		}
		ev := ocsfComplianceFinding{
			ocsfClassification: ocsfClassification{
				ActivityID: 1, ActivityName: "Create",
				CategoryUID: 2, CategoryName: "Findings",
				ClassUID: 2003, ClassName: "Compliance Finding",
				TypeUID: 200301, TypeName: "Compliance Finding: Create",
				SeverityID: sevID, Severity: sevName,
				StatusID: stID, Status: stName,
				Time: ms, TimeDT: dt,
				Message: f.ControlID + " " + string(f.Status) + " on " + f.ResourceID + ": " + f.Reason,
			},
			Metadata: ocsfMetadata{
				Version: OCSFVersion, Product: ocsfProductOf(s.ToolVersion),
				Profiles: []string{"cloud", "datetime"}, UID: asffID(f), LogName: "kmsguard scan",
			},
			Cloud: ocsfCloud{Provider: "AWS", Region: region, Partition: partition,
				Account: &ocsfAccount{UID: f.AccountID, Type: "AWS Account", TypeID: 10}},
			FindingInfo: ocsfFindingInfo{
				UID: asffID(f), Title: f.Title, Desc: c.Rationale,
				Types:       []string{"Software and Configuration Checks/AWS Security Best Practices"},
				CreatedTime: ms, CreatedDT: dt,
			},
			Compliance: ocsfCompliance{
				Control: f.ControlID, Standards: ocsfStandards(c.Mappings), Requirements: ocsfRequirements(c.Mappings),
				Status: cName, StatusID: cID, StatusDetails: []string{f.Reason},
			},
			Resources: []ocsfResource{{
				UID: f.ResourceID, Name: resourceName(f.ResourceID), Type: f.ResourceType,
				Region: f.Region, Provider: "AWS", Partition: partition, RoleID: 1, Role: "Target",
			}},
		}
		if text, _ := remediationText(c.Remediation); text != "" {
			ev.Remediation = &ocsfRemediation{Desc: text, References: c.References}
		}
		unmapped := map[string]any{}
		if len(f.Evidence) > 0 {
			unmapped["evidence"] = f.Evidence
		}
		if f.Suppressed != nil {
			unmapped["suppression"] = f.Suppressed
		}
		if len(unmapped) > 0 {
			ev.Unmapped = unmapped
		}
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	return nil
}

// ocsfStandards names the frameworks a control maps to.
func ocsfStandards(m controls.Mappings) []string {
	var out []string
	if len(m.SecurityHub) > 0 {
		out = append(out, "AWS Foundational Security Best Practices")
	}
	if len(m.CIS) > 0 {
		out = append(out, "CIS AWS Foundations Benchmark")
	}
	if len(m.NIST80053) > 0 {
		out = append(out, "NIST SP 800-53 Rev. 5")
	}
	if len(m.PCIDSS) > 0 {
		out = append(out, "PCI DSS")
	}
	return out
}

// ocsfRequirements lists every mapped identifier with its framework, e.g.
// "AWS Security Hub KMS.4", "NIST SP 800-53 Rev. 5 SC-12".
func ocsfRequirements(m controls.Mappings) []string {
	names := map[string]string{
		"securityhub": "AWS Security Hub", "aws-config": "AWS Config rule", "guardrail": "kmsguard guardrail",
		"conformity": "Trend Micro Conformity", "cis": "CIS AWS Foundations Benchmark",
		"nist-800-53": "NIST SP 800-53 Rev. 5", "pci-dss": "PCI DSS",
	}
	var out []string
	for _, t := range mappingTags(m) {
		prefix, id, _ := strings.Cut(t, "/")
		out = append(out, cmp.Or(names[prefix], prefix)+" "+id)
	}
	return out
}
