package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, path string) *SQLite {
	t.Helper()
	s, err := Open(testCtx(t), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestOpenReopenKeepsData(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "data", "db")
	path := filepath.Join(dir, "sxgw.db")

	s := open(t, path)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("parent dir: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Meta(ctx, "k"); err != nil || ok {
		t.Fatalf("missing key: ok=%v err=%v", ok, err)
	}
	for _, v := range []string{"first", "second", ""} {
		if err := s.SetMeta(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetMeta(ctx, "other", "x"); err != nil {
		t.Fatal(err)
	}
	var mode string
	var fk int
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	for key, want := range map[string]string{"k": "", "other": "x"} {
		got, ok, err := s.Meta(ctx, key)
		if err != nil || !ok || got != want {
			t.Errorf("after reopen Meta(%q) = %q, %v, %v; want %q", key, got, ok, err, want)
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "sxgw.db")
	for range 3 {
		s := open(t, path)
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != len(migrations()) {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(migrations()))
		}
		var rows int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&rows); err != nil || rows != len(migrations()) {
			t.Fatalf("schema_migrations has %d rows (%v), want %d", rows, err, len(migrations()))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "sxgw.db")
	s := open(t, path)
	if _, err := s.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')", len(migrations())+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database: err = %v, want ErrSchemaTooNew", err)
	}
	t.Log(err)
}

// TestMigrationStepsAreAtomic: a failing step leaves the schema at the previous version,
// and the next run applies the remaining steps.
func TestMigrationStepsAreAtomic(t *testing.T) {
	ctx := testCtx(t)
	s := open(t, filepath.Join(t.TempDir(), "sxgw.db"))
	defer s.Close()
	base := len(migrations())
	steps := append(migrations(),
		`CREATE TABLE a (x INTEGER)`,
		`CREATE TABLE b (x INTEGER); INSERT INTO no_such_table VALUES (1)`,
	)
	if err := migrate(ctx, s.db, steps); err == nil {
		t.Fatal("failing migration succeeded")
	}
	if v, _ := s.SchemaVersion(ctx); v != base+1 {
		t.Fatalf("version after failed step = %d, want %d", v, base+1)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table b of the failed step exists (%d, %v)", n, err)
	}
	steps[len(steps)-1] = `CREATE TABLE b (x INTEGER)`
	if err := migrate(ctx, s.db, steps); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SchemaVersion(ctx); v != base+2 {
		t.Fatalf("version = %d, want %d", v, base+2)
	}
}

func TestConcurrentSetMeta(t *testing.T) {
	ctx := testCtx(t)
	s := open(t, filepath.Join(t.TempDir(), "sxgw.db"))
	defer s.Close()
	const workers, writes = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*writes)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				if err := s.SetMeta(ctx, fmt.Sprintf("w%d", w), fmt.Sprint(i)); err != nil {
					errs <- err
					return
				}
				if err := s.SetMeta(ctx, "shared", fmt.Sprintf("%d-%d", w, i)); err != nil {
					errs <- err
					return
				}
				if _, _, err := s.Meta(ctx, "shared"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range workers {
		got, ok, err := s.Meta(ctx, fmt.Sprintf("w%d", w))
		if err != nil || !ok || got != fmt.Sprint(writes-1) {
			t.Errorf("w%d = %q, %v, %v; want %d", w, got, ok, err, writes-1)
		}
	}
	// The last write to "shared" is some worker's last write.
	if got, _, err := s.Meta(ctx, "shared"); err != nil || !strings.HasSuffix(got, fmt.Sprintf("-%d", writes-1)) {
		t.Errorf("shared = %q, %v; want some worker's last write", got, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "not-a-db")
	if err := os.WriteFile(notDB, []byte("this is not an SQLite database, just some text........................................................................"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		bad  bool // ErrBadPath expected
	}{
		{"empty", "", true},
		{"question mark", filepath.Join(dir, "a?b.db"), true},
		{"uri", "file:x.db", true},
		{"memory", ":memory:", true},
		{"parent is a file", filepath.Join(file, "db"), false},
		{"not a database", notDB, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, tt.path)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if errors.Is(err, ErrBadPath) != tt.bad {
				t.Errorf("err = %v; ErrBadPath expected: %v", err, tt.bad)
			}
		})
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if s, err := Open(cancelled, filepath.Join(dir, "c.db")); err == nil {
		_ = s.Close()
		t.Error("Open with a cancelled context succeeded")
	}
}
