package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"

	"github.com/sxgw/sxgw/jingle"
)

// Operator tools that run the gateway's own SDP<->Jingle translator:
//
//	sxgw sdp2jingle [-action A] [-role R] [-sid S]   SDP on stdin, <jingle/> on stdout
//	sxgw jingle2sdp [-role R] [-sess-id N]           <jingle/> (or an IQ holding one) on stdin, SDP on stdout
//
// -role is the Jingle role of the SIP party: the author of the SDP for
// sdp2jingle, its reader for jingle2sdp. It defaults from the action.
// Lines and contents left out are reported on stderr. Input that cannot be
// translated exits 2 with one line on stderr that says what SIP and XMPP
// would answer.

const (
	toolSDP2Jingle = "sdp2jingle"
	toolJingle2SDP = "jingle2sdp"
)

// sdpTool runs one of the tools; args[0] is its name.
func sdpTool(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := args[0]
	fs := flag.NewFlagSet("sxgw "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "Jingle `role` of the SIP party: initiator or responder (default: from the action)")
	var action, sid *string
	var sessID *uint64
	if name == toolSDP2Jingle {
		action = fs.String("action", string(jingle.ActionSessionInitiate), "Jingle `action` to wrap the contents in")
		sid = fs.String("sid", "", "Jingle session `id` (default: derived from the SDP)")
	} else {
		sessID = fs.Uint64("sess-id", 0, "o= session `id` (default: derived from the sid)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sxgw %s: unexpected arguments: %q\n", name, fs.Args())
		return exitUsage
	}
	if *role != "" && !jingle.Role(*role).Valid() {
		fmt.Fprintf(stderr, "sxgw %s: -role must be initiator or responder, not %q\n", name, *role)
		return exitUsage
	}
	in, err := io.ReadAll(io.LimitReader(stdin, jingle.MaxXMLSize+1))
	if err != nil {
		fmt.Fprintf(stderr, "sxgw %s: read: %v\n", name, err)
		return exitFailure
	}
	if name == toolSDP2Jingle {
		return sdp2jingle(in, jingle.Action(*action), jingle.Role(*role), *sid, stdout, stderr)
	}
	return jingle2sdp(in, jingle.Role(*role), *sessID, stdout, stderr)
}

// kindOf is the SDP kind an action carries: an answer for session-accept
// and content-accept, an offer otherwise.
func kindOf(a jingle.Action) jingle.Kind {
	if a == jingle.ActionSessionAccept || a == jingle.ActionContentAccept {
		return jingle.Answer
	}
	return jingle.Offer
}

func sdp2jingle(in []byte, action jingle.Action, role jingle.Role, sid string, stdout, stderr io.Writer) int {
	if !action.Valid() {
		fmt.Fprintf(stderr, "sxgw sdp2jingle: unknown -action %q\n", action)
		return exitUsage
	}
	if role == "" {
		// The SDP of a session-accept is the responder's.
		role = jingle.RoleInitiator
		if kindOf(action) == jingle.Answer {
			role = jingle.RoleResponder
		}
	}
	if sid == "" {
		sid = "sxgw" + strconv.FormatUint(uint64(hash32(in)), 16)
	}
	m := jingle.NewMapping(role, 1)
	res, err := m.SDPToJingle(kindOf(action), in)
	if err != nil {
		fmt.Fprintf(stderr, "sxgw sdp2jingle: %v (%s)\n", err, answers(err))
		return exitUsage
	}
	for _, u := range res.Unmapped {
		fmt.Fprintf(stderr, "sxgw sdp2jingle: left out: %v\n", u)
	}
	for _, d := range res.Dropped {
		fmt.Fprintf(stderr, "sxgw sdp2jingle: dropped a=%s (m-line %d)\n", d.Attr, d.Index)
	}
	j := res.Jingle(action, sid)
	if err := j.Validate(); err != nil {
		fmt.Fprintf(stderr, "sxgw sdp2jingle: %v\n", err)
		return exitUsage
	}
	out, err := j.Encode()
	if err != nil {
		fmt.Fprintf(stderr, "sxgw sdp2jingle: %v\n", err)
		return exitFailure
	}
	if _, err := stdout.Write(append(out, '\n')); err != nil {
		fmt.Fprintf(stderr, "sxgw sdp2jingle: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func jingle2sdp(in []byte, role jingle.Role, sessID uint64, stdout, stderr io.Writer) int {
	j, err := decodeJingle(in)
	if err != nil {
		fmt.Fprintf(stderr, "sxgw jingle2sdp: %v (XMPP bad-request)\n", err)
		return exitUsage
	}
	if role == "" {
		// The SIP party answers a session-initiate and receives the
		// answer of a session-accept.
		role = jingle.RoleResponder
		if kindOf(j.Action) == jingle.Answer {
			role = jingle.RoleInitiator
		}
	}
	if sessID == 0 {
		sessID = uint64(hash32([]byte(j.SID)))
	}
	m := jingle.NewMapping(role, sessID)
	out, err := m.JingleToSDP(kindOf(j.Action), j.Contents, j.Groups)
	if err != nil {
		fmt.Fprintf(stderr, "sxgw jingle2sdp: %v (%s)\n", err, answers(err))
		return exitUsage
	}
	for _, s := range out.Skipped {
		fmt.Fprintf(stderr, "sxgw jingle2sdp: left out: %v\n", s)
	}
	if _, err := stdout.Write(out.Body); err != nil {
		fmt.Fprintf(stderr, "sxgw jingle2sdp: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// decodeJingle reads the first <jingle xmlns='urn:xmpp:jingle:1'/> of in,
// which may be the element itself or a stanza that holds it.
func decodeJingle(in []byte) (*jingle.Jingle, error) {
	d := xml.NewDecoder(bytes.NewReader(in))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: no <jingle/> element: %w", jingle.ErrBadRequest, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Space != jingle.NSJingle || start.Name.Local != "jingle" {
			continue
		}
		j := new(jingle.Jingle)
		if err := d.DecodeElement(j, &start); err != nil {
			return nil, fmt.Errorf("%w: %w", jingle.ErrBadRequest, err)
		}
		if err := j.Validate(); err != nil {
			return nil, err
		}
		return j, nil
	}
}

// answers says what the gateway answers for err on each side.
func answers(err error) string {
	var ue *jingle.UnmappableError
	switch {
	case errors.As(err, &ue):
		code, text := ue.SIPWarning()
		return fmt.Sprintf("SIP %d with Warning %d %q; Jingle reason %s", ue.SIPStatus(), code, text, ue.Condition())
	case errors.Is(err, jingle.ErrMalformedSDP):
		return "SIP 400"
	case errors.Is(err, jingle.ErrBadRequest):
		return "XMPP bad-request"
	case errors.Is(err, jingle.ErrOfferMismatch):
		return "SIP 488; Jingle reason incompatible-parameters"
	}
	return "SIP 500; Jingle reason general-error"
}

func hash32(b []byte) uint32 {
	h := fnv.New32a()
	h.Write(b)
	return h.Sum32()
}
