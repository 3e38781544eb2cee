package state

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

// The PostgreSQL tests use the server named by KMSGUARD_TEST_POSTGRES_DSN,
// or else start a private throwaway cluster from the installed server
// binaries on first use; TestMain stops it. Each test gets its own schema.
const postgresDSNEnv = "KMSGUARD_TEST_POSTGRES_DSN"

var testPostgres struct {
	once sync.Once
	dsn  string
	err  error
	stop func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testPostgres.stop != nil {
		testPostgres.stop()
	}
	os.Exit(code)
}

// postgresDSN returns the URL of an empty schema in the test server. It fails
// the test, never skips it, when no server can be had.
func postgresDSN(t testing.TB) string {
	t.Helper()
	testPostgres.once.Do(func() {
		if dsn := os.Getenv(postgresDSNEnv); dsn != "" {
			testPostgres.dsn = dsn
			return
		}
		testPostgres.dsn, testPostgres.stop, testPostgres.err = startPostgres()
	})
	if testPostgres.err != nil {
		t.Fatalf("PostgreSQL tests need a server: %v", testPostgres.err)
	}
	schema := "kmsguard_test_" + randomHex(6)
	ctx := context.Background()
	admin, err := sql.Open("pgx", testPostgres.dsn)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", testPostgres.dsn)
		if err != nil {
			t.Errorf("connect to test PostgreSQL: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testPostgres.dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresDSNEnv, err)
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
		"install the Debian package `postgresql` (apt-get install -y postgresql) or set %s", glob, postgresDSNEnv)
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

func TestFindPostgresBin(t *testing.T) {
	notFound := func(string) (string, error) { return "", exec.ErrNotFound }
	root := t.TempDir()
	for _, v := range []string{"13", "15", "9"} {
		dir := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "postgres"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("newest versioned directory", func(t *testing.T) {
		got, err := findPostgresBin(notFound, filepath.Join(root, "*", "bin"))
		if err != nil || got != filepath.Join(root, "15", "bin") {
			t.Errorf("findPostgresBin = %q, %v; want the version 15 directory", got, err)
		}
	})
	t.Run("PATH first", func(t *testing.T) {
		onPath := func(string) (string, error) { return filepath.Join(root, "9", "bin", "initdb"), nil }
		got, err := findPostgresBin(onPath, filepath.Join(root, "*", "bin"))
		if err != nil || got != filepath.Join(root, "9", "bin") {
			t.Errorf("findPostgresBin = %q, %v; want the directory on PATH", got, err)
		}
	})
	t.Run("none says what to install", func(t *testing.T) {
		_, err := findPostgresBin(notFound, filepath.Join(t.TempDir(), "*", "bin"))
		if err == nil || !strings.Contains(err.Error(), "install the Debian package `postgresql`") {
			t.Errorf("findPostgresBin error = %v; want it to name the Debian package", err)
		}
	})
}
