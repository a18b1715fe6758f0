package sip

import (
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
)

// handleOptions answers OPTIONS with the capabilities actually installed
// (RFC 3261 §11.2): Allow lists the methods handled, Accept the body types,
// Supported the option tags (none claimed that are not implemented), and
// Allow-Events the event packages served (RFC 6665 §4.4.4).
func (e *Endpoint) handleOptions(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	rt := e.routes.Load()
	headers := []sipgosip.Header{
		sipgosip.NewHeader("Allow", rt.allow),
		sipgosip.NewHeader("Accept", rt.acceptV),
		sipgosip.NewHeader("Supported", strings.Join(e.supported(), ", ")),
	}
	if h := e.allowEventsHeader(); h != nil {
		headers = append(headers, h)
	}
	if cs := e.chats.Load(); cs != nil && cs.rooms != nil && cs.isRoomHost(req.Recipient.String()) && req.Recipient.User != "" {
		// RFC 4579 §4.3: a focus answers OPTIONS to its conference URI
		// with 'isfocus' in the Contact.
		contact := e.responseContact(req, tx, req.Recipient.User)
		contact.Params.Add("isfocus", "")
		headers = append(headers, contact)
	}
	e.respond(tx, req, 200, "OK", headers...)
}
