package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sxgw/sxgw/xmpp"
)

// peerQueue bounds the stanzas the peer queues for sxgw: large enough that
// the peer never refuses its own load.
const peerQueue = 1 << 18

// peer is the XMPP server for xmpp.test, written with the project's xmpp
// package: it records the benchmark messages sxgw delivers and sends the
// XMPP -> SIP load.
type peer struct {
	s   *xmpp.S2S
	rec *recorder

	mu     sync.Mutex
	errors map[string]int64 // error stanzas received, by "step/condition"
}

// startPeer starts the peer on a free port and publishes its SRV record.
func (e *env) startPeer(ctx context.Context, rec *recorder) (*peer, error) {
	cert, err := tlsCert(xmppDomain)
	if err != nil {
		return nil, err
	}
	p := &peer{rec: rec, errors: make(map[string]int64)}
	p.s, err = xmpp.NewS2S(xmpp.Options{
		Domains:        []string{xmppDomain},
		Listen:         "127.0.0.1:0",
		TLSConfig:      &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		DialbackSecret: "msgbench-dialback-secret-" + xmppDomain,
		Resolver:       e.res,
		Handler:        p,
		QueueSize:      peerQueue,
		PingInterval:   -1,
	})
	if err != nil {
		return nil, fmt.Errorf("msgbench: peer: %w", err)
	}
	if err := p.s.Start(ctx); err != nil {
		return nil, fmt.Errorf("msgbench: peer: %w", err)
	}
	e.publish("_xmpp-server._tcp."+xmppDomain, "s2s."+xmppDomain, p.s.Addr().(*net.TCPAddr).Port)
	return p, nil
}

// XMPPStanza records a delivered message, or an error stanza from sxgw;
// anything else is ignored.
func (p *peer) XMPPStanza(_ context.Context, st *xmpp.Element) error {
	now := time.Now().UnixMicro()
	if st.Name.Local != "message" {
		return nil
	}
	if st.Get("type") == "error" {
		cond := "unknown"
		if e := st.Child("", "error"); e != nil {
			if c := e.FirstChild(); c != nil {
				cond = c.Name.Local
			}
		}
		step, _, _ := strings.Cut(strings.TrimPrefix(st.Get("id"), "b"), "-")
		p.mu.Lock()
		p.errors[step+"/"+cond]++
		p.mu.Unlock()
		return nil
	}
	body := st.Child("", "body")
	if body == nil {
		return nil
	}
	step, n, sent, err := parseBody(body.Text())
	if err != nil {
		p.rec.addBad()
		return nil
	}
	p.rec.add(step, n, sent, now)
	return nil
}

// stepErrors returns the error stanzas received for step, by condition.
func (p *peer) stepErrors(step int) map[string]int64 {
	prefix := strconv.Itoa(step) + "/"
	out := make(map[string]int64)
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range p.errors {
		if cond, ok := strings.CutPrefix(k, prefix); ok {
			out[cond] = v
		}
	}
	return out
}

func (p *peer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.s.Close(ctx)
}

// sendResult is what one paced send run did.
type sendResult struct {
	sent    int64         // stanzas handed to the s2s stream
	refused int64         // attempts refused because the peer's queue was full
	span    time.Duration // from the first to the last send
}

// send sends count chat messages at rate per second, spread over pairs
// conversations uN@xmpp.test/b -> carolN@sip.test (sxgw keeps each
// conversation in order, one SIP transaction at a time). Message n of step
// has id "b<step>-<n>" and a body with its send time.
func (p *peer) send(ctx context.Context, step, rate, count, pairs int) sendResult {
	from := make([]string, pairs)
	to := make([]string, pairs)
	for i := range pairs {
		from[i] = "u" + strconv.Itoa(i) + "@" + xmppDomain + "/b"
		to[i] = "carol" + strconv.Itoa(i) + "@" + sipDomain
	}
	stepS := strconv.Itoa(step)
	var res sendResult
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	n := 0
	for n < count {
		// Catch up with the schedule: message n is due at n/rate seconds.
		due := min(count, int(time.Since(start).Seconds()*float64(rate))+1)
		for ; n < due; n++ {
			k := n % pairs
			ns := strconv.Itoa(n)
			st := xmpp.NewElement("jabber:server", "message",
				"from", from[k], "to", to[k], "type", "chat", "id", "b"+stepS+"-"+ns).
				Add(xmpp.NewElement("jabber:server", "body").AddText(
					bodyMarker + " " + stepS + " " + ns + " " + strconv.FormatInt(time.Now().UnixMicro(), 10)))
			for p.s.Send(ctx, st) != nil {
				res.refused++
				if ctx.Err() != nil {
					return res
				}
				time.Sleep(100 * time.Microsecond)
			}
			res.sent++
		}
		res.span = time.Since(start)
		if n >= count {
			break
		}
		select {
		case <-ctx.Done():
			return res
		case <-tick.C:
		}
	}
	return res
}
