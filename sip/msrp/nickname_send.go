package msrp

import "context"

// SetNickname asks the chat room switch for a nickname (RFC 7701 §7.1):
// a NICKNAME request with Use-Nickname nick. It returns nil on 200 and a
// *StatusError with the switch's answer otherwise (424 malformed, 425
// reserved or in use, 403 nicknames not allowed), or 408 when none came
// within the transaction timeout.
func (s *Session) SetNickname(ctx context.Context, nick string) error {
	m := Message{Method: MethodNICKNAME, TransactionID: NewTransactionID(), Flag: FlagEnd}
	if err := m.SetNickname(nick); err != nil {
		return err
	}
	// The request is tracked like a message being sent, under an id of
	// its own that no REPORT can name.
	c, remote, op, err := s.begin(NewMessageID())
	if err != nil {
		return err
	}
	defer s.finishOp(c, op)
	m.ToPath, m.FromPath = remote, s.local
	op.expect(m.TransactionID, true)
	if err := c.register(m.TransactionID, op); err != nil {
		return err
	}
	if err := c.queueCtrl(&m); err != nil {
		return err
	}
	op.allQueued()
	return s.await(ctx, op, true)
}
