package pgtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

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
