package live

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readOnlyOperations is every AWS operation the collector may call. All
// are reads; AssumeRole only issues credentials for the audit role.
var readOnlyOperations = []string{
	"AssumeRole", "DescribeKey", "DescribePolicy", "DescribeRegions", "GetAccountAuthorizationDetails",
	"GetCallerIdentity", "GetKeyPolicy", "GetKeyRotationStatus", "ListAccounts", "ListAliases",
	"ListGrants", "ListKeys", "ListParents", "ListPolicies", "ListResourceTags", "ListTargetsForPolicy",
}

// clientMethods parses clients.go and returns the methods of the
// consumer-side client interfaces.
func clientMethods(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "clients.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	ast.Inspect(f, func(n ast.Node) bool {
		if it, ok := n.(*ast.InterfaceType); ok {
			for _, m := range it.Methods.List {
				for _, name := range m.Names {
					methods = append(methods, name.Name)
				}
			}
		}
		return true
	})
	slices.Sort(methods)
	return methods
}

func TestClientInterfacesAreReadOnly(t *testing.T) {
	for _, m := range clientMethods(t) {
		if !slices.Contains(readOnlyOperations, m) {
			t.Errorf("client interface method %s is not in the read-only allowlist", m)
		}
	}
}

// TestNoMutatingSDKCalls scans the package's non-test source for calls of
// the form x.Operation( where Operation is an operation name of any of the
// SDK clients the package imports, and fails on one not in the allowlist:
// a mutating call cannot slip in by using a concrete SDK client directly.
func TestNoMutatingSDKCalls(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	ops := sdkOperations(t)
	if len(ops) < 100 {
		t.Fatalf("found only %d SDK operation names; the scan would prove nothing", len(ops))
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if ok && ops[sel.Sel.Name] && !slices.Contains(readOnlyOperations, sel.Sel.Name) {
				t.Errorf("%s calls SDK operation %s, which is not in the read-only allowlist", file, sel.Sel.Name)
			}
			return true
		})
	}
}

// sdkOperations lists the operation names of the SDK clients the package
// uses, from the api_op_<Operation>.go files of their modules.
func sdkOperations(t *testing.T) map[string]bool {
	t.Helper()
	ops := map[string]bool{}
	for _, pkg := range []string{"kms", "iam", "sts", "organizations", "ec2"} {
		dir := moduleDir(t, "github.com/aws/aws-sdk-go-v2/service/"+pkg)
		matches, _ := filepath.Glob(filepath.Join(dir, "api_op_*.go"))
		for _, m := range matches {
			ops[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "api_op_"), ".go")] = true
		}
	}
	return ops
}

func moduleDir(t *testing.T, module string) string {
	t.Helper()
	out, err := goList(module)
	if err != nil {
		t.Fatalf("locate %s: %v", module, err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("module directory of %s: %v", module, err)
	}
	return out
}

func TestPermissionsCoverEveryClientCall(t *testing.T) {
	policy, err := PermissionsPolicy(true, "audit")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range clientMethods(t) {
		if m == "GetCallerIdentity" {
			continue // needs no permission
		}
		want = append(want, serviceOf(m)+":"+m)
	}
	var got []string
	got = append(got, accountActions()...)
	got = append(got, organizationActions()...)
	got = append(got, "sts:AssumeRole")
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("permissions vs client calls (-calls +policy):\n%s", diff)
	}
	if !strings.Contains(string(policy), `"Resource": "arn:aws:iam::*:role/audit"`) {
		t.Errorf("org policy does not limit sts:AssumeRole to the role:\n%s", policy)
	}
	single, _ := PermissionsPolicy(false, "")
	if strings.Contains(string(single), "organizations:") || strings.Contains(string(single), "sts:AssumeRole") {
		t.Errorf("single-account policy has organisation parts:\n%s", single)
	}
}

func serviceOf(method string) string {
	switch method {
	case "GetAccountAuthorizationDetails":
		return "iam"
	case "AssumeRole", "GetCallerIdentity":
		return "sts"
	case "DescribeRegions":
		return "ec2"
	case "ListAccounts", "ListPolicies", "DescribePolicy", "ListTargetsForPolicy", "ListParents":
		return "organizations"
	default:
		return "kms"
	}
}
