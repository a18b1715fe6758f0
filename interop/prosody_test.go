//go:build interop && linux

package interop

import (
	"bytes"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestProsodyHarness proves the harness itself: Prosody runs with the test
// configuration, slixmpp users log in and exchange stanzas, Prosody resolves
// s2s peers through the test DNS server, and a restart keeps the accounts.
func TestProsodyHarness(t *testing.T) {
	dns := startDNS(t)
	p := startProsody(t, t.TempDir(), dns)
	ctx := testContext(t, 3*time.Minute)

	alice := startXMPPClient(t, p, "alice")
	bob := startXMPPClient(t, p, "bob")
	if want := p.JID("alice") + "/interop"; alice.JID() != want {
		t.Errorf("alice bound %q, want %q", alice.JID(), want)
	}

	t.Run("disco#info of the server", func(t *testing.T) {
		r := alice.MustCommand(ctx, map[string]any{"cmd": "disco_info", "to": p.Domain})
		assertDiscoInfo(t, r, p.Domain, "server", "im",
			"http://jabber.org/protocol/disco#info", "urn:xmpp:ping")
	})

	t.Run("message between users", func(t *testing.T) {
		const body = "hello from alice <&> ünïcödé"
		alice.MustCommand(ctx, map[string]any{"cmd": "send_message", "to": p.JID("bob"), "body": body})
		ev, err := bob.WaitEvent(ctx, func(e xmppEvent) bool {
			return e.Str("event") == "message" && e.Str("body") != ""
		})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Str("from") != alice.JID() || ev.Str("body") != body || ev.Str("type") != "chat" {
			t.Errorf("bob got %v, want a chat message %q from %s", ev, body, alice.JID())
		}
	})

	t.Run("unknown command", func(t *testing.T) {
		r, err := alice.Command(ctx, map[string]any{"cmd": "no_such_command"})
		if err != nil {
			t.Fatal(err)
		}
		if r.OK() {
			t.Errorf("unknown command succeeded: %v", r)
		}
	})

	t.Run("s2s peer resolved through test DNS", func(t *testing.T) {
		// A fake peer.test: its SRV record points at a listener of ours, which
		// must see Prosody open a server-to-server stream to it.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		publishSRV(dns, "_xmpp-server._tcp.peer.test", "xmpp.peer.test", l.Addr().(*net.TCPAddr).Port)
		queriesBefore := dns.Queries()

		header := make(chan []byte, 1)
		go func() {
			defer close(header)
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			var got []byte
			buf := make([]byte, 4096)
			for !bytes.Contains(got, []byte(">")) || !bytes.Contains(got, []byte("stream:stream")) {
				n, err := c.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil || len(got) > 1<<16 {
					break
				}
			}
			header <- got
		}()

		r, err := alice.Command(ctx, map[string]any{"cmd": "disco_info", "to": "peer.test", "timeout": 20})
		if err != nil {
			t.Fatal(err)
		}
		got := <-header
		if !bytes.Contains(got, []byte("jabber:server")) || !bytes.Contains(got, []byte("peer.test")) {
			t.Errorf("peer.test listener got %q, want a jabber:server stream header to peer.test", got)
		}
		// RFC 6120 §8.3.3.16: the peer closed before any stream was established.
		if cond := errorCondition(r); r.OK() || cond != "remote-server-not-found" {
			t.Errorf("disco#info to a peer that hung up: %v, want error remote-server-not-found", r)
		}
		if dns.Queries() <= queriesBefore {
			t.Errorf("the test DNS server answered no query for peer.test")
		}
	})

	t.Run("restart keeps accounts", func(t *testing.T) {
		p.Restart()
		if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool { return e.Str("event") == "disconnected" }); err != nil {
			t.Errorf("alice's session did not end with the restart: %v", err)
		}
		again := startXMPPClient(t, p, "alice")
		r := again.MustCommand(ctx, map[string]any{"cmd": "ping", "to": p.Domain})
		if !r.OK() {
			t.Errorf("ping after restart: %v", r)
		}
	})
}

// errorCondition returns the XMPP error condition of a failed command reply.
func errorCondition(r xmppEvent) string {
	e, _ := r["error"].(map[string]any)
	c, _ := e["condition"].(string)
	return c
}

// assertDiscoInfo checks a disco_info reply: it succeeded, came from from,
// has the identity category/type and every feature listed.
func assertDiscoInfo(t *testing.T, r xmppEvent, from, category, typ string, features ...string) {
	t.Helper()
	if !r.OK() {
		t.Fatalf("disco#info failed: %v", r)
	}
	if got := r.Str("from"); got != from {
		t.Errorf("disco#info answered by %q, want %q", got, from)
	}
	var identities []string
	ids, _ := r["identities"].([]any)
	for _, id := range ids {
		m, _ := id.(map[string]any)
		c, _ := m["category"].(string)
		ty, _ := m["type"].(string)
		identities = append(identities, c+"/"+ty)
	}
	if !slices.Contains(identities, category+"/"+typ) {
		t.Errorf("disco#info identities %v, want %s/%s", identities, category, typ)
	}
	var have []string
	fs, _ := r["features"].([]any)
	for _, f := range fs {
		s, _ := f.(string)
		have = append(have, s)
	}
	for _, f := range features {
		if !slices.Contains(have, f) {
			t.Errorf("disco#info features %s lack %q", strings.Join(have, " "), f)
		}
	}
}
