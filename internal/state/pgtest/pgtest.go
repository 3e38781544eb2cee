// Package pgtest gives tests a PostgreSQL database: the server named by
// $KMSGUARD_TEST_POSTGRES_DSN, or else a private throwaway cluster started
// from the installed server binaries on first use (Debian package
// postgresql). Each caller gets its own empty schema. It is imported by
// tests only; the product never needs it.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for the admin connection
)

// DSNEnv names an existing server to use instead of a private cluster.
const DSNEnv = "KMSGUARD_TEST_POSTGRES_DSN"

// server is the one cluster a test binary shares: started once, stopped by
// Stop from TestMain.
var server struct {
	once sync.Once
	dsn  string
	err  error
	stop func()
}

// Stop stops the private cluster, if one was started. Call it from
// TestMain after m.Run; the cluster also dies with the test binary.
func Stop() {
	if server.stop != nil {
		server.stop()
	}
}

// DSN returns the URL of a new empty schema in the test server, dropped
// when the test ends. It fails the test, never skips it, when no server
// can be had.
func DSN(t testing.TB) string {
	t.Helper()
	server.once.Do(func() {
		if dsn := os.Getenv(DSNEnv); dsn != "" {
			server.dsn = dsn
			return
		}
		server.dsn, server.stop, server.err = startPostgres()
	})
	if server.err != nil {
		t.Fatalf("PostgreSQL tests need a server: %v", server.err)
	}
	schema := "kmsguard_test_" + randomHex(6)
	ctx := context.Background()
	admin, err := sql.Open("pgx", server.dsn)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", server.dsn)
		if err != nil {
			t.Errorf("connect to test PostgreSQL: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(server.dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", DSNEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// postgresBinGlob is where Debian's postgresql package puts the server.
const postgresBinGlob = "/usr/lib/postgresql/*/bin"

// findPostgresBin returns the directory holding initdb and postgres: the
// directory of initdb on PATH first, then the newest versioned directory
// matching glob.
func findPostgresBin(lookPath func(string) (string, error), glob string) (string, error) {
	var dirs []string
	if p, err := lookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	versions, _ := filepath.Glob(glob)
	slices.SortFunc(versions, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	dirs = append(dirs, versions...)
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb and postgres binaries on PATH or in %s: "+
		"install the Debian package `postgresql` (apt-get install -y postgresql) or set %s", glob, DSNEnv)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// serverCredential returns who runs the server: initdb refuses to run as
// root, so as root the cluster belongs to user postgres (or nobody).
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("running as root and neither user postgres nor nobody exists to run initdb")
}

// serverTempRoot is where the cluster's directory goes: the usual temporary
// directory, unless the server's user could not reach into it ($TMPDIR
// private to root), then /tmp.
func serverTempRoot(cred *syscall.Credential) string {
	root := os.TempDir()
	if cred == nil {
		return root
	}
	if fi, err := os.Stat(root); err == nil && fi.Mode().Perm()&0o001 != 0 {
		return root
	}
	return "/tmp"
}

// startPostgres initialises a cluster in a temporary directory and starts it
// listening only on a Unix socket in that directory.
func startPostgres() (dsn string, stop func(), err error) {
	bin, err := findPostgresBin(exec.LookPath, postgresBinGlob)
	if err != nil {
		return "", nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp(serverTempRoot(cred), "kmsguard-pg-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			cleanup()
			return "", nil, fmt.Errorf("chown %s: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "kmsguard",
		"--auth=trust", "--no-sync", "--locale=C", "-E", "UTF8")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	server := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-p", "5432",
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB")
	server.Dir = dir
	server.Stdout, server.Stderr = logFile, logFile
	// Pdeathsig: the server dies with the test binary even if TestMain
	// never gets to stop it.
	server.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := server.Start(); err != nil {
		logFile.Close()
		cleanup()
		return "", nil, fmt.Errorf("start postgres: %w", err)
	}
	// exited is closed when the server process ends, so any number of
	// waiters see it.
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = server.Wait(); close(exited) }()
	stop = func() {
		_ = server.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = server.Process.Kill()
			<-exited
		}
		logFile.Close()
		cleanup()
	}
	dsn = "postgres://kmsguard@/postgres?sslmode=disable&host=" + url.QueryEscape(dir)
	if err := waitReady(dsn, exited, &exitErr); err != nil {
		stop()
		log, _ := os.ReadFile(logPath)
		return "", nil, fmt.Errorf("postgres did not become ready: %v\nserver log:\n%s", err, log)
	}
	return dsn, stop, nil
}

func waitReady(dsn string, exited <-chan struct{}, exitErr *error) error {
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("server exited: %v", *exitErr)
		default:
		}
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("timeout: %v", strings.TrimSpace(fmt.Sprint(last)))
}
