package live

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
)

func TestDirSinkWritesAtomically(t *testing.T) {
	root := t.TempDir()
	s := DirSink{Root: root}
	if err := s.WriteFile("kms/eu-west-1/aliases.json", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile("kms/eu-west-1/aliases.json", []byte("new")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "kms", "eu-west-1", "aliases.json"))
	if err != nil || string(data) != "new" {
		t.Fatalf("read back %q, %v", data, err)
	}
	info, err := os.Stat(filepath.Join(root, "kms", "eu-west-1", "aliases.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("snapshot file mode = %v, %v; want 0600", info.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "kms", "eu-west-1"))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	for _, bad := range []string{"../escape.json", "/abs.json", "a//b.json", ""} {
		if err := s.WriteFile(bad, nil); err == nil {
			t.Errorf("WriteFile(%q) accepted a name outside the snapshot", bad)
		}
	}
}

func TestMemSinkIsAnFS(t *testing.T) {
	m := NewMemSink()
	var wg sync.WaitGroup
	for _, n := range []string{"account.json", "kms/eu-west-1/aliases.json", "kms/eu-west-1/keys/k1/describe-key.json", "kms/us-east-1.error.json"} {
		wg.Go(func() {
			if err := m.WriteFile(n, []byte(`{"n":"`+n+`"}`)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := fstest.TestFS(m, "account.json", "kms/eu-west-1/aliases.json", "kms/eu-west-1/keys/k1/describe-key.json", "kms/us-east-1.error.json"); err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(m, "kms/eu-west-1/keys/k1/describe-key.json")
	if err != nil || string(data) != `{"n":"kms/eu-west-1/keys/k1/describe-key.json"}` {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	if err := m.WriteFile("../x", nil); err == nil {
		t.Error("MemSink accepted ../x")
	}
}
