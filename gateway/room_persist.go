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
// room that stopped being persistent; r.mu held. The record is taken
// now and written from the room's queue, in the order of the changes,
// without holding the room's lock during the write.
func (g *Gateway) persistRoomLocked(r *room) {
	if g.o.RoomStore == nil {
		return
	}
	rec := store.Room{Name: r.name, Subject: r.subject, Updated: time.Now()}
	persistent := r.persistent
	if persistent {
		settings, _ := json.Marshal(roomSettings{Created: r.created})
		rec.Settings = string(settings)
	}
	g.roomJobForce(r, func() {
		ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
		defer cancel()
		var err error
		if persistent {
			err = g.o.RoomStore.PutRoom(ctx, rec)
		} else {
			err = g.o.RoomStore.DeleteRoom(ctx, rec.Name)
		}
		if err != nil {
			g.log.Warn("room not stored", "room", rec.Name, "err", err)
		}
	})
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
