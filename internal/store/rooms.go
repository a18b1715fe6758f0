package store

import (
	"context"
	"fmt"
	"time"
)

// Room is a persistent chat room: its name (the room JID's localpart),
// subject and settings serialized by the gateway (opaque here).
type Room struct {
	Name     string
	Subject  string
	Settings string
	Updated  time.Time
}

// PutRoom inserts or replaces a room.
func (s *SQLite) PutRoom(ctx context.Context, r Room) error {
	if r.Name == "" {
		return fmt.Errorf("store: room without name: %w", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO rooms (name, subject, settings, updated) VALUES (?, ?, ?, ?)
		 ON CONFLICT (name) DO UPDATE SET subject = excluded.subject, settings = excluded.settings,
		   updated = excluded.updated`,
		r.Name, r.Subject, r.Settings, r.Updated.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put room %q: %w", r.Name, err)
	}
	return nil
}

// DeleteRoom removes a room; a missing one is no error.
func (s *SQLite) DeleteRoom(ctx context.Context, name string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM rooms WHERE name = ?`, name); err != nil {
		return fmt.Errorf("store: delete room %q: %w", name, err)
	}
	return nil
}

// Rooms returns every stored room by name.
func (s *SQLite) Rooms(ctx context.Context) ([]Room, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, subject, settings, updated FROM rooms ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: rooms: %w", err)
	}
	defer rows.Close()
	var out []Room
	for rows.Next() {
		var r Room
		var upd int64
		if err := rows.Scan(&r.Name, &r.Subject, &r.Settings, &upd); err != nil {
			return nil, fmt.Errorf("store: rooms: %w", err)
		}
		r.Updated = time.UnixMilli(upd)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rooms: %w", err)
	}
	return out, nil
}
