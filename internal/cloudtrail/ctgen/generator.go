package ctgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// generator holds the seeded random source and the simulated organisation.
type generator struct {
	cfg      Config
	rng      *rand.Rand
	accounts []*account
	regions  []string
	foreign  string // an account outside the organisation
}

type account struct {
	id, org string
	users   []string
	roles   []string // human roles first, then automation roles
	keys    map[string][]string
	buckets []string
	// sessions are the temporary access keys in use: a session makes many
	// calls, so keys repeat as in real trails.
	sessions []string
	hosts    []string
}

func newGenerator(cfg Config) *generator {
	g := &generator{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		regions: []string{"us-east-1", "eu-west-1", "ap-southeast-2"},
		foreign: "999988887777",
	}
	for _, id := range []string{"111122223333", "444455556666", "777788889999"} {
		a := &account{id: id, org: "o-a1b2c3d4e5", keys: map[string][]string{},
			users:   []string{"alice", "bob", "ci-deployer", "backup-operator"},
			roles:   []string{"AdministratorAccess", "ReadOnly", "ci-deploy-role", "lambda-exec-role", "data-pipeline"},
			buckets: []string{"prod-data-" + id, "app-logs-" + id, "backups-" + id}}
		for range 40 {
			a.sessions = append(a.sessions, "ASIA"+g.token(16))
			a.hosts = append(a.hosts, "i-0"+strings.ToLower(g.token(16)))
		}
		for _, r := range g.regions {
			for range 5 {
				a.keys[r] = append(a.keys[r], g.uuid())
			}
		}
		g.accounts = append(g.accounts, a)
	}
	return g
}

func (g *generator) uuid() string {
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xfff, lo>>48&0x3fff|0x8000, lo&0xffffffffffff)
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (g *generator) token(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.rng.IntN(len(alnum))]
	}
	return string(b)
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) chance(pct float64) bool { return g.rng.Float64()*100 < pct }

func (g *generator) ip() string {
	switch g.rng.IntN(4) {
	case 0:
		return fmt.Sprintf("198.51.100.%d", g.rng.IntN(254)+1)
	case 1:
		return fmt.Sprintf("203.0.113.%d", g.rng.IntN(254)+1)
	case 2:
		return fmt.Sprintf("192.0.2.%d", g.rng.IntN(254)+1)
	}
	return fmt.Sprintf("10.%d.%d.%d", g.rng.IntN(256), g.rng.IntN(256), g.rng.IntN(254)+1)
}

// userAgents returns the user agent formats callers send (%s: the operation).
func userAgents() [5]string {
	return [...]string{
		"aws-cli/2.15.30 Python/3.11.8 Linux/5.10.210-201.852.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/%s",
		"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/%s",
		"Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.220-209.869.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144 %s",
		"Terraform/1.8.5 (+https://www.terraform.io) terraform-provider-aws/5.58.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.4 md/GOOS#linux md/GOARCH#amd64 api/%s",
		"console.amazonaws.com",
	}
}

func (g *generator) userAgent(op string) string {
	uas := userAgents()
	ua := uas[g.rng.IntN(len(uas))]
	if ua == "console.amazonaws.com" {
		return ua
	}
	return fmt.Sprintf(ua, op)
}

// base fills what every record has.
func (g *generator) base(a *account, region string, t time.Time) *record {
	return &record{
		EventVersion: "1.09", EventTime: t.UTC().Format(time.RFC3339), AWSRegion: region,
		RequestID: g.uuid(), EventID: g.uuid(), EventType: "AwsApiCall", ManagementEvent: true,
		RecipientAccountID: a.id, EventCategory: "Management",
	}
}

// human returns a person or automation as caller: an assumed role (with
// session context), an IAM user, or rarely the root user.
func (g *generator) human(a *account, t time.Time) *userIdentity {
	switch n := g.rng.IntN(100); {
	case n < 60:
		role := g.pick(a.roles)
		session := g.pick([]string{"alice@example.com", "bob@example.com", "GitHubActions", g.pick(a.hosts), "botocore-session-" + fmt.Sprint(t.Unix())})
		roleID := "AROA" + roleIDSuffix(a.id, role)
		return &userIdentity{Type: "AssumedRole", PrincipalID: roleID + ":" + session,
			ARN: "arn:aws:sts::" + a.id + ":assumed-role/" + role + "/" + session, AccountID: a.id, AccessKeyID: g.pick(a.sessions),
			SessionContext: &sessionContext{
				SessionIssuer: sessionIssuer{Type: "Role", PrincipalID: roleID, ARN: "arn:aws:iam::" + a.id + ":role/" + role, AccountID: a.id, UserName: role},
				Attributes: sessionAttributes{CreationDate: t.Add(-time.Duration(g.rng.IntN(3600)) * time.Second).UTC().Format(time.RFC3339),
					MFAAuthenticated: fmt.Sprint(g.chance(30))},
			}}
	case n < 99:
		user := g.pick(a.users)
		return &userIdentity{Type: "IAMUser", PrincipalID: "AIDA" + roleIDSuffix(a.id, user), ARN: "arn:aws:iam::" + a.id + ":user/" + user,
			AccountID: a.id, AccessKeyID: "AKIA" + roleIDSuffix(user, a.id)[:16], UserName: user}
	}
	return &userIdentity{Type: "Root", PrincipalID: a.id, ARN: "arn:aws:iam::" + a.id + ":root", AccountID: a.id, AccessKeyID: "ASIA" + g.token(16),
		SessionContext: &sessionContext{Attributes: sessionAttributes{CreationDate: t.UTC().Format(time.RFC3339), MFAAuthenticated: "true"}}}
}

// roleIDSuffix is a stable pseudo ID for a principal (same name, same ID).
func roleIDSuffix(a, b string) string {
	h := uint64(14695981039346656037)
	for _, s := range []string{a, "/", b} {
		for i := range len(s) {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
	}
	out := make([]byte, 17)
	for i := range out {
		out[i] = alnum[h%uint64(len(alnum))]
		h = h*6364136223846793005 + 1442695040888963407
	}
	return string(out)
}

func (g *generator) tls(service, region string) *tlsDetails {
	return &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
		ClientProvidedHostHeader: service + "." + region + ".amazonaws.com"}
}

// byService makes r a call made by an AWS service on the account's behalf.
func (g *generator) byService(r *record, service string) {
	r.UserIdentity = &userIdentity{Type: "AWSService", InvokedBy: service}
	r.SourceIPAddress = service
	r.UserAgent = service
}

func (g *generator) byHuman(r *record, a *account, service, op string) {
	t, _ := time.Parse(time.RFC3339, r.EventTime)
	r.UserIdentity = g.human(a, t)
	r.SourceIPAddress = g.ip()
	r.UserAgent = g.userAgent(op)
	r.TLSDetails = g.tls(service, r.AWSRegion)
	if r.UserAgent == "console.amazonaws.com" {
		r.SessionFromConsole = "true"
	}
}

func (g *generator) keyARN(a *account, region string) (string, string) {
	id := g.pick(a.keys[region])
	return "arn:aws:kms:" + region + ":" + a.id + ":key/" + id, id
}
