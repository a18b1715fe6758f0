// Package store persists the gateway's state. The default and only backend is SQLite
// through modernc.org/sqlite (pure Go, no cgo), in WAL mode, with a versioned schema that
// Open migrates forward.
//
// Features persist through the [Store] interface and add methods to it (subscriptions,
// rooms, sessions) as they land, each with a new migration in migrations.go.
package store
