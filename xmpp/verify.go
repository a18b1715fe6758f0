package xmpp

import (
	"context"
	"fmt"
	"strings"
)

// verifyKey asks the authoritative server of originating whether key is
// the dialback key for the stream id we gave (XEP-0220 §2.3.1): we connect
// to originating's s2s service as receiving, send <db:verify/> and wait for
// its answer. The verification stream needs no authentication of its own.
// The caller runs under s.wg.
func (s *S2S) verifyKey(ctx context.Context, receiving, originating, streamID, key string) (valid bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.ConnectTimeout)
	defer cancel()
	c, _, _, err := s.openStream(ctx, receiving, originating)
	if err != nil {
		return false, err
	}
	// Close in the background (RFC 6120 §4.4 waits for the peer's closing
	// tag): the answer need not wait for it. A cancelled attempt just
	// drops the connection.
	defer func() {
		if !c.unwatch() {
			c.abort()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.closeFor(err)
		}()
	}()
	if err := c.send(dbVerify(receiving, originating, streamID, "", key)); err != nil {
		return false, err
	}
	for range 16 {
		el, err := c.r.next()
		if err != nil {
			return false, fmt.Errorf("xmpp: dialback verify with %s: %w", originating, err)
		}
		if el.Name.Space == nsStream && el.Name.Local == "error" {
			return false, parseStreamError(el)
		}
		if el.Name.Space != nsDialback || el.Name.Local != "verify" || el.Get("id") != streamID ||
			!strings.EqualFold(el.Get("from"), originating) || !strings.EqualFold(el.Get("to"), receiving) {
			continue
		}
		switch el.Get("type") {
		case "valid":
			return true, nil
		case "invalid":
			return false, nil
		}
		return false, fmt.Errorf("xmpp: dialback verify with %s answered %q: %w", originating, el.Get("type"), ErrAuth)
	}
	return false, fmt.Errorf("xmpp: dialback verify with %s: no answer: %w", originating, ErrAuth)
}
