package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestRoomsPersist: rooms written survive a reopen, replace by name and
// delete.
func TestRoomsPersist(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rooms.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(time.Now().UnixMilli())
	for _, r := range []Room{
		{Name: "lobby", Subject: "old", Settings: `{"a":1}`, Updated: now},
		{Name: "dev", Subject: "", Settings: `{}`, Updated: now},
		{Name: "lobby", Subject: "Welcome", Settings: `{"a":2}`, Updated: now},
	} {
		if err := s.PutRoom(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutRoom(ctx, Room{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("PutRoom without name = %v, want ErrInvalid", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rooms, err := s.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 2 || rooms[0].Name != "dev" || rooms[1].Subject != "Welcome" || rooms[1].Settings != `{"a":2}` || !rooms[1].Updated.Equal(now) {
		t.Fatalf("rooms = %+v", rooms)
	}
	if err := s.DeleteRoom(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRoom(ctx, "missing"); err != nil {
		t.Fatal(err)
	}
	if rooms, _ = s.Rooms(ctx); len(rooms) != 1 || rooms[0].Name != "lobby" {
		t.Fatalf("after delete: %+v", rooms)
	}
}
