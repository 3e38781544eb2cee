package state

import (
	"os"
	"testing"

	"github.com/kmsguard/kmsguard/internal/state/pgtest"
)

// The PostgreSQL tests use internal/state/pgtest: the server named by
// KMSGUARD_TEST_POSTGRES_DSN, or else a private throwaway cluster started on
// first use; TestMain stops it. Each test gets its own schema.

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// postgresDSN returns the URL of an empty schema in the test server. It fails
// the test, never skips it, when no server can be had.
func postgresDSN(t testing.TB) string {
	t.Helper()
	return pgtest.DSN(t)
}
