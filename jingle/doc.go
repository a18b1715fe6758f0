// Package jingle holds the Jingle model (XEP-0166 and its application and
// transport namespaces), the SDP<->Jingle translator and the Jingle session
// state machine. It does no I/O.
//
// # Model
//
// Jingle is <jingle xmlns='urn:xmpp:jingle:1'/> with its contents, reason,
// XEP-0338 groups and XEP-0167 session-info payload (Info). A Content
// carries an RTPDescription (XEP-0167, with XEP-0293 rtcp-fb, XEP-0294
// rtp-hdrext, XEP-0339 sources, SDES crypto and bandwidth) and an
// ICEUDPTransport (XEP-0176, with the XEP-0320 fingerprint) or a
// RawUDPTransport (XEP-0177). Elements of other namespaces are kept as
// Element values. Message is the XEP-0353 jingle-message payload (propose,
// retract, accept, proceed, reject, ringing, finish). All of them encode
// and decode with encoding/xml; Decode and DecodeMessage also validate
// (Validate) and bound sizes (limits.go). Failures wrap ErrBadRequest.
//
// # Translation
//
// A Mapping is the translation state of one call: the Jingle role of the
// SIP party, the m-line layout of the last offer and the o= line of the
// SDP the gateway writes. Mapping.SDPToJingle reads an SDP offer or answer
// with the package's own single-pass reader (RFC 8866 §5 structure,
// bounded by limits.go) and interprets every media section itself;
// Mapping.JingleToSDP writes SDP for the Jingle party. Both follow the
// rules digest of the gateway's Jingle notes: direction <-> senders by the
// role of the SDP's author (SendersFromDirection), static payload types
// from RFC 3551, fmtp split at the first '=', ICE or Raw UDP transports,
// DTLS and SDES keying, BUNDLE groups, port-0 lines kept in place.
//
// Errors are typed: ErrMalformedSDP (SIP 400), *UnmappableError when
// nothing can be translated (SIP 488 with a Warning; Jingle
// unsupported-applications, unsupported-transports or security-error), and
// *MediaError for one line or content (reported in Media.Unmapped or
// SDP.Skipped when the rest can be translated). Needs reports what each
// side requires of the media path (ICE, DTLS, SDES, plain RTP): the seam
// for a media relay. ApplyTransportInfo gathers trickled candidates (and
// ICE restarts) into the contents for SIP peers that want them all at once.
//
// # Sessions
//
// Session is the XEP-0166 §5.1 state machine (pending, active, ended) of one
// session: it decides whether an action may be received or sent in the
// current state and answers with *SessionError values that carry the IQ
// error (out-of-order, unknown-session, tie-break, unsupported-info).
// WinsTieBreak settles simultaneous session-initiate or propose messages
// (XEP-0166 §7.2.16, XEP-0353 §4).
package jingle
