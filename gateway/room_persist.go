package gateway

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sxgw/sxgw/internal/store"
)

// roomSettings are the stored settings of a persistent room.
type roomSettings struct {
	Created time.Time `json:"created"`
}

// persistRoomLocked writes a persistent room to the store, or removes a
// room that stopped being persistent; r.mu held (the write is quick and
// keeps the stored order of changes the real one).
func (g *Gateway) persistRoomLocked(r *room) {
	if g.o.RoomStore == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	if r.persistent {
		settings, _ := json.Marshal(roomSettings{Created: r.created})
		err = g.o.RoomStore.PutRoom(ctx, store.Room{Name: r.name, Subject: r.subject, Settings: string(settings), Updated: time.Now()})
	} else {
		err = g.o.RoomStore.DeleteRoom(ctx, r.name)
	}
	if err != nil {
		g.log.Warn("room not stored", "room", r.name, "err", err)
	}
}

// resumeRooms creates the configured persistent rooms and the stored
// ones, with their subjects.
func (g *Gateway) resumeRooms(ctx context.Context) error {
	if g.o.ConferenceDomain == "" {
		return nil
	}
	var stored []store.Room
	if g.o.RoomStore != nil {
		var err error
		if stored, err = g.o.RoomStore.Rooms(ctx); err != nil {
			return err
		}
	}
	for _, name := range g.o.PersistentRooms {
		stored = append(stored, store.Room{Name: name})
	}
	for _, s := range stored {
		name := roomName(s.Name)
		if name == "" {
			continue
		}
		r, created := g.rooms.getOrCreate(name, func() *room { return g.makeRoom(name) })
		if created {
			g.m.rooms.Inc()
		}
		r.mu.Lock()
		r.persistent = true
		if s.Subject != "" {
			r.subject = s.Subject
		}
		var set roomSettings
		if json.Unmarshal([]byte(s.Settings), &set) == nil && !set.Created.IsZero() {
			r.created = set.Created
		}
		r.mu.Unlock()
	}
	return nil
}
