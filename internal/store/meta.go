package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Meta returns the value stored under key; ok is false when there is none.
func (s *SQLite) Meta(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&value)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("store: meta %q: %w", key, err)
	}
	return value, true, nil
}

// SetMeta stores value under key, replacing any previous value.
func (s *SQLite) SetMeta(ctx context.Context, key, value string) error {
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO meta (key, value) VALUES (?, ?)
		 ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("store: set meta %q: %w", key, err)
	}
	return nil
}
