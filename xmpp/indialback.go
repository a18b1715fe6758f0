package xmpp

import (
	"context"
	"strings"
)

// dialback handles dialback elements on an inbound stream: <db:result/>
// (we are the receiving server, XEP-0220 §2.1.2) and <db:verify/> (we are
// the authoritative server, §2.3.2).
func (st *inStream) dialback(ctx context.Context, el *Element) error {
	switch el.Name.Local {
	case "verify":
		if el.Get("type") != "" {
			// An answer we never asked for on this stream (XEP-0220 §2.2,
			// §3.1 "Unsolicited Dialback"): drop it.
			st.s.log.Debug("unsolicited dialback verify answer dropped", "peer", st.peer)
			return nil
		}
		return st.answerVerify(el)
	case "result":
		if el.Get("type") != "" {
			return streamErr(CondPolicyViolation, "unexpected dialback result")
		}
		return st.receiveResult(ctx, el)
	}
	return streamErr(CondUnsupportedStanzaType, "db:"+el.Name.Local)
}

// answerVerify checks a key we (supposedly) generated as initiating server
// and says valid or invalid (XEP-0220 §2.3.2). The stream need not be
// authenticated: the answer reveals nothing but validity.
func (st *inStream) answerVerify(el *Element) error {
	from := strings.ToLower(el.Get("from")) // the receiving server that asks
	to := strings.ToLower(el.Get("to"))     // the domain we claimed to be
	id := el.Get("id")
	if !st.s.rt.serves(to) {
		st.s.m.dialback.WithLabelValues("authoritative", "error").Inc()
		return st.c.send(dialbackError("verify", to, from, id, ErrItemNotFound))
	}
	typ := "invalid"
	if checkDialbackKey(st.s.o.DialbackSecret, from, to, id, el.Text()) {
		typ = "valid"
	}
	st.s.m.dialback.WithLabelValues("authoritative", typ).Inc()
	st.s.log.Debug("dialback verify answered", "asker", from, "domain", to, "result", typ)
	return st.c.send(dbVerify(to, from, id, typ, ""))
}

// receiveResult starts verifying a dialback key the peer sent for a domain
// pair; the answer goes back on this stream when the authoritative server
// has replied (XEP-0220 §2.1.2, §2.4).
func (st *inStream) receiveResult(ctx context.Context, el *Element) error {
	if !st.c.tls {
		return streamErr(CondPolicyViolation, "STARTTLS is required before dialback")
	}
	from := strings.ToLower(el.Get("from")) // the originating domain
	to := strings.ToLower(el.Get("to"))     // one of ours
	key := strings.TrimSpace(el.Text())
	if from == "" || to == "" || key == "" {
		return streamErr(CondImproperAddressing, "db:result needs from, to and a key")
	}
	if !st.s.rt.serves(to) {
		st.s.m.dialback.WithLabelValues("receiving", "error").Inc()
		return st.c.send(dialbackError("result", to, from, "", ErrItemNotFound))
	}
	if st.isAuthed(from) {
		return st.c.send(dbResult(to, from, "valid", ""))
	}
	st.mu.Lock()
	if st.verifying >= maxPendingVerifies {
		st.mu.Unlock()
		return streamErr(CondPolicyViolation, "too many dialback requests")
	}
	st.verifying++
	st.mu.Unlock()
	release := func() {
		st.mu.Lock()
		st.verifying--
		st.mu.Unlock()
	}
	if !st.s.startVerify() {
		// XEP-0220 §2.5 resource-constraint: no room for the pair now.
		release()
		st.s.m.dialback.WithLabelValues("receiving", "error").Inc()
		st.s.log.Debug("dialback refused: too many verifications in progress", "peer", from)
		return st.c.send(dialbackError("result", to, from, "", ErrResourceConstraint))
	}
	// The key was made for the stream id we gave; a stream restart (SASL)
	// may replace st.id while the verification runs.
	id := st.id
	st.s.wg.Add(1)
	go func() {
		defer st.s.wg.Done()
		defer release()
		defer st.s.endVerify()
		valid, err := st.s.verifyKey(ctx, to, from, id, key)
		switch {
		case err != nil:
			st.s.m.dialback.WithLabelValues("receiving", "error").Inc()
			st.s.log.Info("dialback verification failed", "peer", from, "err", err)
			_ = st.c.send(dialbackError("result", to, from, "", ErrRemoteServerNotFound))
		case valid:
			st.authenticate(from)
			st.s.m.dialback.WithLabelValues("receiving", "valid").Inc()
			st.s.log.Info("s2s inbound authenticated", "peer", from, "method", "dialback")
			_ = st.c.send(dbResult(to, from, "valid", ""))
		default:
			st.s.m.dialback.WithLabelValues("receiving", "invalid").Inc()
			st.s.log.Info("dialback key invalid", "peer", from)
			if st.anyAuthed() {
				// Other domain pairs use this stream: refuse this one with
				// an error that leaves them alone (XEP-0220 §2.2.1).
				_ = st.c.send(dialbackError("result", to, from, "", ErrForbidden))
				return
			}
			// Nothing else may use this stream (XEP-0220 §2.2.1).
			_ = st.c.send(dbResult(to, from, "invalid", ""))
			st.c.end(streamErr(CondNotAuthorized, "dialback key invalid"))
		}
	}()
	return nil
}
