package jingle

// Bounds on input size. A peer that exceeds one gets ErrTooLarge (wrapped
// in ErrMalformedSDP or a *SchemaError), never a partial translation.
const (
	// MaxSDPSize bounds an SDP body in bytes.
	MaxSDPSize = 64 << 10
	// MaxSDPLines bounds the lines of an SDP body, empty ones included.
	MaxSDPLines = 4096
	// MaxSDPLine bounds one SDP line in bytes, without its line end.
	MaxSDPLine = 8 << 10
	// MaxXMLSize bounds a Jingle or jingle-message element given to
	// Decode and DecodeMessage, in bytes.
	MaxXMLSize = 256 << 10
	// MaxMedia bounds the m-lines of an SDP and the contents of a Jingle
	// element.
	MaxMedia = 16
	// MaxPayloadTypes bounds the payload types of one media line or
	// description (RTP has 128 payload type numbers).
	MaxPayloadTypes = 128
	// MaxCandidates bounds the candidates of one transport.
	MaxCandidates = 64
	// MaxItems bounds every other repeated element or attribute: fmtp
	// parameters, feedback types, header extensions, sources, source
	// groups, crypto lines, groups and group members.
	MaxItems = 64
)
