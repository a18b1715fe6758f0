package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrate applies the steps the database lacks, each in its own transaction together with
// its row in schema_migrations, so a failed step leaves the schema at the previous
// version. Transactions begin IMMEDIATE (see dsn), so two processes opening the same
// database at once apply each step once.
func migrate(ctx context.Context, db *sql.DB, steps []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for {
		done, err := migrateOne(ctx, db, steps)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next missing step, or reports that none is missing.
func migrateOne(ctx context.Context, db *sql.DB, steps []string) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: migrate: begin: %w", err)
	}
	defer func() {
		if err != nil || done {
			_ = tx.Rollback()
		}
	}()

	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	switch {
	case current > len(steps):
		return false, fmt.Errorf("%w: database at version %d, this program knows up to %d", ErrSchemaTooNew, current, len(steps))
	case current == len(steps):
		return true, nil
	}
	next := current + 1
	if _, err := tx.ExecContext(ctx, steps[current]); err != nil {
		return false, fmt.Errorf("store: migration %d: %w", next, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		next, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return false, fmt.Errorf("store: migration %d: record: %w", next, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: migration %d: commit: %w", next, err)
	}
	return false, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}
