package sip

import (
	"context"
	"fmt"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// Bye sends a BYE in d, an established dialog (RFC 3261 §15.1.1), and
// waits for its final response. It returns d with LocalCSeq advanced (once
// a request was built); a non-2xx final response is a *StatusError (481:
// the peer no longer knows the dialog, which is then over all the same).
func (e *Endpoint) Bye(ctx context.Context, d translate.SIPDialog) (translate.SIPDialog, error) {
	if d.RemoteTag == "" {
		return d, fmt.Errorf("%w: BYE needs an established dialog", ErrBadRequest)
	}
	req, err := newDialogRequest(sipgosip.BYE, d)
	if err != nil {
		return d, err
	}
	d.LocalCSeq++
	// RFC 3261 §20 Table 3: no Contact in a BYE; it refreshes no target.
	res, err := e.Do(ctx, req)
	if err != nil {
		return d, err
	}
	if res.StatusCode >= 300 {
		return d, statusErrorOf(res)
	}
	return d, nil
}
