package controls

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/demogen"
)

func TestMatrix(t *testing.T) {
	m := fstest.MapFS{}
	for name, data := range demogen.Demo() {
		m[name] = &fstest.MapFile{Data: data}
	}
	accts, _, _ := inventory.Load(context.Background(), m, inventory.LoadOptions{})
	aliasOf := map[string]string{}
	for _, k := range accts[0].Keys {
		names := k.Aliases.MustGet()
		aliasOf[k.ARN] = k.Region + "/" + strings.TrimPrefix(names[0], "alias/")
	}
	cfg, err := config.Load("../../examples/kmsguard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_ = cfg
	res := Run(CheckContext{Now: demogen.DemoTime(), Config: config.Default()}, Catalogue()[3:], accts)
	rows := map[string][]string{}
	for _, f := range res.Findings {
		rows[aliasOf[f.ResourceID]] = append(rows[aliasOf[f.ResourceID]], f.ControlID[8:]+":"+string(f.Status)[:2])
		if strings.Contains(aliasOf[f.ResourceID], "DETAIL") || (f.Status == StatusFail && (f.ControlID == "IAM-KMS-6" || f.ControlID == "IAM-KMS-8")) {
			fmt.Println(f.ControlID, aliasOf[f.ResourceID], f.Reason, strings.Join(f.Evidence, "\n   "))
		}
	}
	var keys []string
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%-32s %s\n", k, strings.Join(rows[k], " "))
	}
}
