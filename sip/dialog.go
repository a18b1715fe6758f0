package sip

import (
	"fmt"
	"math"
	"slices"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// Dialogs (RFC 3261 §12) are kept by the core as translate.SIPDialog
// values; this file turns them into requests and back. sipgo's own dialogs
// serve INVITE only.

// parseDialogURI parses a URI kept in a dialog, with or without angle
// brackets.
func parseDialogURI(s string) (sipgosip.Uri, error) {
	var u sipgosip.Uri
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	if err := sipgosip.ParseUri(s, &u); err != nil {
		return u, fmt.Errorf("%w: uri %q: %w", ErrBadRequest, s, err)
	}
	switch u.Scheme {
	case "sip", "sips":
	default:
		return u, fmt.Errorf("%w: uri %q: scheme %q is not sip or sips", ErrBadRequest, s, u.Scheme)
	}
	return u, nil
}

// newDialogRequest builds a request inside d (RFC 3261 §12.2.1.1) or, when
// d.RemoteTag is empty, the request that creates the dialog (§8.1.1, with
// d.RouteSet as a preloaded route set, §8.1.2). The target is d.RemoteTarget
// (d.RemoteURI when empty, and always for a dialog-creating request); the
// route set goes into Route headers, with strict routing applied when its
// first URI lacks "lr". CSeq is d.LocalCSeq+1. The header fields Do fills
// in (Via, Max-Forwards) are left out.
func newDialogRequest(method sipgosip.RequestMethod, d translate.SIPDialog) (*sipgosip.Request, error) {
	if d.CallID == "" || d.LocalTag == "" {
		return nil, fmt.Errorf("%w: dialog needs a Call-ID and a local tag", ErrBadRequest)
	}
	// RFC 3261 §8.1.1.5: the sequence number stays below 2**31.
	if d.LocalCSeq >= math.MaxInt32 {
		return nil, fmt.Errorf("%w: CSeq exhausted", ErrBadRequest)
	}
	local, err := parseDialogURI(d.LocalURI)
	if err != nil {
		return nil, err
	}
	remote, err := parseDialogURI(d.RemoteURI)
	if err != nil {
		return nil, err
	}
	target := remote
	if d.RemoteTag != "" && d.RemoteTarget != "" {
		if target, err = parseDialogURI(d.RemoteTarget); err != nil {
			return nil, err
		}
	}
	routes := make([]sipgosip.Uri, 0, len(d.RouteSet)+1)
	for _, r := range d.RouteSet {
		u, err := parseDialogURI(r)
		if err != nil {
			return nil, err
		}
		routes = append(routes, u)
	}
	ruri := target
	if len(routes) > 0 && !routes[0].UriParams.Has("lr") {
		// RFC 3261 §12.2.1.1: a strict router gets the request with its
		// URI as Request-URI (minus parameters not allowed there, §19.1.1);
		// the remote target goes last in the Route headers.
		ruri = *routes[0].Clone()
		if ruri.UriParams != nil {
			ruri.UriParams.Remove("method")
			ruri.UriParams.Remove("ttl")
		}
		ruri.Headers = nil
		routes = append(routes[1:], target)
	}

	req := sipgosip.NewRequest(method, ruri)
	for i := range routes {
		req.AppendHeader(&sipgosip.RouteHeader{Address: routes[i]})
	}
	// RFC 3261 §12.2.1.1: From and To carry the dialog's URIs as they are.
	from := &sipgosip.FromHeader{Address: local, Params: sipgosip.NewParams()}
	from.Address.Headers = nil
	from.Params.Add("tag", d.LocalTag)
	req.AppendHeader(from)
	to := &sipgosip.ToHeader{Address: remote, Params: sipgosip.NewParams()}
	to.Address.Headers = nil
	if d.RemoteTag != "" {
		to.Params.Add("tag", d.RemoteTag)
	}
	req.AppendHeader(to)
	cid := sipgosip.CallIDHeader(d.CallID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sipgosip.CSeqHeader{SeqNo: d.LocalCSeq + 1, MethodName: method})
	return req, nil
}

// recordRoute returns the Record-Route URIs of m in the order received.
func recordRoute(m interface {
	GetHeaders(string) []sipgosip.Header
}) []string {
	var rs []string
	for _, h := range m.GetHeaders("Record-Route") {
		if rr, ok := h.(*sipgosip.RecordRouteHeader); ok {
			rs = append(rs, uriString(rr.Address))
		}
	}
	return rs
}

// uasDialog is the dialog a received request describes, seen from us as
// its recipient: our side is To, the peer's From; the remote target is the
// request's Contact and the route set its Record-Route in the order
// received (RFC 3261 §12.1.1). LocalTag is the To tag, if any.
func uasDialog(req *sipgosip.Request) translate.SIPDialog {
	d := translate.SIPDialog{
		CallID:     req.CallID().Value(),
		LocalURI:   uriString(req.To().Address),
		RemoteURI:  uriString(req.From().Address),
		RemoteCSeq: req.CSeq().SeqNo,
		RouteSet:   recordRoute(req),
	}
	d.LocalTag, _ = req.To().Params.Get("tag")
	d.RemoteTag, _ = req.From().Params.Get("tag")
	if c := req.Contact(); c != nil && !c.Address.Wildcard {
		d.RemoteTarget = uriString(c.Address)
	}
	return d
}

// uacUpdate applies a 2xx response to a request we sent in d: a response
// that creates the dialog sets the remote tag, and its reversed
// Record-Route becomes the route set (RFC 3261 §12.1.2); its Contact, as
// that of any target refresh response, becomes the remote target
// (§12.2.1.2).
func uacUpdate(d translate.SIPDialog, res *sipgosip.Response) (translate.SIPDialog, error) {
	if d.RemoteTag == "" {
		tag, _ := res.To().Params.Get("tag")
		if tag == "" {
			return d, fmt.Errorf("%w: 2xx without a To tag", ErrBadResponse)
		}
		d.RemoteTag = tag
		rs := recordRoute(res)
		slices.Reverse(rs)
		d.RouteSet = rs
	}
	if c := res.Contact(); c != nil && !c.Address.Wildcard {
		d.RemoteTarget = uriString(c.Address)
	}
	return d, nil
}

// validContact returns the single Contact of req, which must be a sip: or
// sips: URI (RFC 3261 §8.1.1.8); ok is false when there is more than one
// or it is unusable, present false when there is none.
func validContact(req *sipgosip.Request) (c *sipgosip.ContactHeader, present, ok bool) {
	hs := req.GetHeaders("Contact")
	if len(hs) == 0 {
		return nil, false, false
	}
	c, isContact := hs[0].(*sipgosip.ContactHeader)
	if len(hs) > 1 || !isContact || c.Address.Wildcard || c.Address.Host == "" {
		return nil, true, false
	}
	switch c.Address.Scheme {
	case "sip", "sips":
		return c, true, true
	}
	return nil, true, false
}
