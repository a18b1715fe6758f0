package sip

import (
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
)

// handleOptions answers OPTIONS with the capabilities actually installed
// (RFC 3261 §11.2): Allow lists the methods handled, Accept the body types,
// Supported the option tags (none claimed that are not implemented).
func (e *Endpoint) handleOptions(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	rt := e.routes.Load()
	e.respond(tx, req, 200, "OK",
		sipgosip.NewHeader("Allow", rt.allow),
		sipgosip.NewHeader("Accept", rt.acceptV),
		sipgosip.NewHeader("Supported", strings.Join(e.supported(), ", ")),
	)
}
