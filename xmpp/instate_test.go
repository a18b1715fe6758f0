package xmpp

import (
	"context"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A verification that succeeds just as its stream ends must not leave the
// stream counted as established.
func TestLateAuthenticationAfterStreamEnd(t *testing.T) {
	w := newWorld(t)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	ours, theirs := net.Pipe()
	st := &inStream{s: b.s, c: newXConn(ours, nsServer, 4096), authed: make(map[string]bool)}
	done := make(chan struct{})
	go func() { st.serve(context.Background()); close(done) }()
	_ = theirs.Close()
	<-done
	st.authenticate("a.test") // the verification goroutine, a moment late
	for _, state := range []string{"negotiating", "established"} {
		if v := testutil.ToFloat64(b.s.m.streams.WithLabelValues("in", state)); v != 0 {
			t.Errorf("in %s = %v after the stream ended", state, v)
		}
	}
}
