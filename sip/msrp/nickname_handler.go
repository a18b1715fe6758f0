package msrp

import "errors"

// NicknameHandler is implemented by a Handler whose session takes
// NICKNAME requests (RFC 7701 §7.1): the session of a chat room
// participant at the MSRP switch. A session whose Handler does not
// implement it answers NICKNAME with 501, as any method it does not
// know (RFC 4975 §12).
type NicknameHandler interface {
	// MSRPNickname decides a NICKNAME request. nick is its Use-Nickname,
	// decoded; "" asks to remove the current nickname (RFC 7701 §7.3).
	// It is called on the session's goroutine, in order with the other
	// events of the session (a message sent after a NICKNAME is
	// delivered after it). The returned status is the response (RFC
	// 7701 §7.1): 200 accepted, 403 nicknames not allowed, 424
	// malformed, 425 reserved or in use; a code outside 200-699 is sent
	// as 403.
	MSRPNickname(s *Session, nick string) int
}

// nickname handles a NICKNAME request on c for s (RFC 7701 §7.1): the
// session's NicknameHandler decides, on the session's goroutine; the
// reader goes on at once. A request whose Use-Nickname is absent or
// malformed gets 424 without reaching the handler.
func (c *conn) nickname(s *Session, m *Message) {
	if _, ok := s.h.(NicknameHandler); !ok {
		c.refuse(m, StatusNotImplemented)
		return
	}
	nick, present, err := m.Nickname()
	if !present || errors.Is(err, ErrBadNickname) {
		// RFC 7701 §7.1: the request MUST carry Use-Nickname; a value
		// that does not conform to the syntax gets 424.
		c.refuse(m, StatusMalformedNickname)
		return
	}
	if !s.push(event{kind: evNickname, m: m.CloneHeader(), c: c, nick: nick}) {
		// The handler is behind by more than the session's memory
		// bound: refused like a message would be.
		c.refuse(m, StatusTooLarge)
	}
}

// answerNickname asks the handler about a queued NICKNAME and sends its
// answer on the connection the request came on (RFC 4975 §7.2).
func (s *Session) answerNickname(ev event) {
	code := s.h.(NicknameHandler).MSRPNickname(s, ev.nick) // queued only then
	if code < 200 || code > 699 {
		code = StatusForbidden
	}
	if code != StatusOK {
		s.e.met.rejected.WithLabelValues(codeLabel(code)).Inc()
	}
	if r := Decide(ev.m, PhaseTransaction, code); r.Response != 0 {
		var res Message
		if err := res.InitResponse(ev.m, r.Response, ""); err != nil {
			return
		}
		if err := ev.c.queueCtrl(&res); err != nil && !errors.Is(err, ErrConnectionLost) {
			s.e.log.Debug("msrp: NICKNAME response not sent", "code", code, "err", err)
		}
	}
}
