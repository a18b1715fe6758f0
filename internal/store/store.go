package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is what the gateway features persist through. Later features add methods
// (subscriptions, rooms, sessions) as they land.
type Store interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Meta returns the value stored under key; ok is false when there is none.
	Meta(ctx context.Context, key string) (value string, ok bool, err error)
	// SetMeta stores value under key, replacing any previous value.
	SetMeta(ctx context.Context, key, value string) error
	// PutSubscription inserts or replaces a presence subscription.
	PutSubscription(ctx context.Context, sub Subscription) error
	// DeleteSubscription removes one; a missing one is no error.
	DeleteSubscription(ctx context.Context, id string) error
	// Subscriptions returns every stored subscription.
	Subscriptions(ctx context.Context) ([]Subscription, error)
	// Close releases the database.
	Close() error
}

var _ Store = (*SQLite)(nil)

// busyTimeoutMillis is how long a statement waits for another writer's lock.
const busyTimeoutMillis = 5000

// SQLite is the SQLite-backed Store. It is safe for concurrent use.
type SQLite struct {
	db *sql.DB
}

// Open opens (creating when missing) the SQLite database at path, creating its parent
// directory with mode 0700, and migrates its schema to the current version. Every
// connection runs in WAL mode with a busy timeout and foreign keys enforced.
func Open(ctx context.Context, path string) (*SQLite, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("%w: %q", ErrBadPath, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &SQLite{db: db}
	if err := s.init(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w (database %s)", err, path)
	}
	return s, nil
}

// dsn builds the driver's data source name: the file path, then the settings every
// connection of the pool applies when it opens.
func dsn(path string) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL") // durable in WAL mode except across power loss
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate") // a transaction takes the write lock at BEGIN: no upgrade deadlocks
	return path + "?" + q.Encode()
}

func (s *SQLite) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("store: open: journal mode is %q, want wal", mode)
	}
	return migrate(ctx, s.db, migrations())
}

// SchemaVersion returns the version of the database schema (the number of migrations
// applied).
func (s *SQLite) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, s.db)
}

// Ping checks that the database answers.
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *SQLite) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
