package xmpp

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// A remote that never answers pings makes several of them time out; the
// first failure closes the stream and the others must not be left
// blocked, or Close never returns (and goroutines leak).
func TestUnansweredPingsDoNotLeak(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil, func(o *Options) {
		o.PingInterval = 20 * time.Millisecond
		o.ConnectTimeout = 250 * time.Millisecond // pings time out after twice that
	})
	far := newFakeRemote(t, w, "far.test")
	sendTo(t, a.s, "x@far.test", "m1")
	c := far.next()
	// The remote reads and ignores everything until a closes the stream
	// for want of pong, then answers the closing tag.
	err := readUntilEnd(c)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("stream ended with %v", err)
	}
	_ = c.writeString("</stream:stream>")
	// Let the other outstanding pings fail too.
	time.Sleep(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.s.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
}
