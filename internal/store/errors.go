package store

import "errors"

var (
	// ErrSchemaTooNew reports a database migrated by a newer sxgw than this one.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this program supports")
	// ErrBadPath reports a database path that cannot be used.
	ErrBadPath = errors.New("store: bad database path")
	// ErrInvalid reports a record that cannot be stored.
	ErrInvalid = errors.New("store: invalid record")
)
