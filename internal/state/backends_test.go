package state

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLiteStore(t *testing.T) {
	runStoreSuite(t, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "state.db")
	})
}

// TestPostgresStore runs the suite against a real PostgreSQL server (see
// postgres_harness_test.go); it fails when none can be had.
func TestPostgresStore(t *testing.T) {
	runStoreSuite(t, func(t *testing.T) string { return postgresDSN(t) })
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name, dsn, wantErr string
	}{
		{"empty", "", "empty path"},
		{"unknown scheme", "mysql://db/state", `unsupported scheme "mysql"`},
		{"question mark in path", "/tmp/state.db?mode=ro", "must not contain '?'"},
		{"missing directory", filepath.Join("/nonexistent-kmsguard-dir", "state.db"), "/nonexistent-kmsguard-dir/state.db"},
		{"bad postgres URL hides secrets", "postgres://u:s3cret@host:notaport/db", "invalid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Open(context.Background(), tt.dsn)
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q) succeeded, want error", tt.dsn)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open(%q) error %q does not contain %q", tt.dsn, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
