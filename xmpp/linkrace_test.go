package xmpp

import (
	"context"
	"testing"
	"time"
)

// Send looks the link up and then enqueues; if the link stops for
// idleness in between, the stanza must not be left in a queue that nobody
// reads.
func TestEnqueueAfterIdleStopIsNotLost(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	a.s.linkIdle = 20 * time.Millisecond
	l, err := a.s.link("a.test", "b.test") // Send's look-up
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(a.s.Peers()) != 0 { // the link stops for idleness
		if time.Now().After(deadline) {
			t.Fatal("idle link never stopped")
		}
		time.Sleep(5 * time.Millisecond)
	}
	msg := NewElement(nsServer, "message", "from", "u@a.test", "to", "v@b.test", "id", "late")
	if err := l.enqueue(msg); err == nil { // Send's enqueue
		if got := b.rec.wait(t, "message on a stopped link"); got.Get("id") != "late" {
			t.Fatalf("got %s", got)
		}
		return
	}
	// Refused: Send looks again and gets a live link.
	if err := a.s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if got := b.rec.wait(t, "message"); got.Get("id") != "late" {
		t.Fatalf("got %s", got)
	}
}
