package store

import (
	"context"
	"fmt"
	"time"
)

// Subscription is one presence subscription the gateway keeps, with its
// SIP dialog serialized by the gateway (opaque here).
type Subscription struct {
	ID         string
	Kind       string // which side watches: the gateway's own vocabulary
	Watcher    string
	Presentity string
	State      string
	Expires    time.Time
	Dialog     string
	Updated    time.Time
}

// PutSubscription inserts or replaces a subscription.
func (s *SQLite) PutSubscription(ctx context.Context, sub Subscription) error {
	if sub.ID == "" {
		return fmt.Errorf("store: subscription without id: %w", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO subscriptions (id, kind, watcher, presentity, state, expires, dialog, updated)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, watcher = excluded.watcher,
		   presentity = excluded.presentity, state = excluded.state, expires = excluded.expires,
		   dialog = excluded.dialog, updated = excluded.updated`,
		sub.ID, sub.Kind, sub.Watcher, sub.Presentity, sub.State, sub.Expires.UnixMilli(), sub.Dialog, sub.Updated.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put subscription %q: %w", sub.ID, err)
	}
	return nil
}

// DeleteSubscription removes a subscription; a missing one is no error.
func (s *SQLite) DeleteSubscription(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM subscriptions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: delete subscription %q: %w", id, err)
	}
	return nil
}

// Subscriptions returns every stored subscription, oldest update first.
func (s *SQLite) Subscriptions(ctx context.Context) ([]Subscription, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, kind, watcher, presentity, state, expires, dialog, updated FROM subscriptions ORDER BY updated, id`)
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var sub Subscription
		var exp, upd int64
		if err := rows.Scan(&sub.ID, &sub.Kind, &sub.Watcher, &sub.Presentity, &sub.State, &exp, &sub.Dialog, &upd); err != nil {
			return nil, fmt.Errorf("store: subscriptions: %w", err)
		}
		sub.Expires, sub.Updated = time.UnixMilli(exp), time.UnixMilli(upd)
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	return out, nil
}
