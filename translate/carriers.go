package translate

// SIPResponse returns the SIP final response for e (status and reason
// phrase), so the SIP side can answer with it without knowing this type.
func (e *Error) SIPResponse() (int, string) { return e.SIPStatus, e.Reason() }

// StanzaCondition returns the XMPP stanza error for e, so the XMPP side can
// answer with it without knowing this type.
func (e *Error) StanzaCondition() (typ, cond, text string) { return e.Type, e.Condition, e.Text }
