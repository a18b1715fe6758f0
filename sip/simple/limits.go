package simple

// Bounds on hostile input. A payload beyond any of them is refused with an
// error wrapping ErrLimit (and ErrMalformed). Overall size is the caller's
// concern: SIP and MSRP bound the body before it gets here. Marshal refuses
// values beyond the same bounds, so whatever this package encodes it can
// also decode.
const (
	// maxXMLDepth bounds element nesting in every XML payload. The deepest
	// structure this package reads is RPID inside a PIDF person (RFC 4480
	// §4: presence/person/place-is/audio/noisy), five levels; unknown
	// extensions get some room beyond that.
	maxXMLDepth = 32
	// maxXMLElements bounds the number of elements in one XML payload,
	// counting the ignored ones.
	maxXMLElements = 4096

	// MaxTuples is the most <tuple> elements a PIDF document may carry.
	MaxTuples = 64
	// MaxNotes is the most <note> elements per PIDF presence, tuple or
	// person.
	MaxNotes = 16
	// MaxPersons is the most data-model <person> elements per PIDF
	// document.
	MaxPersons = 16
	// MaxActivities is the most distinct RPID activities per person.
	MaxActivities = 16

	// MaxCPIMHeaders is the most message headers a CPIM message may carry.
	MaxCPIMHeaders = 128
	// MaxCPIMContentHeaders is the most MIME headers of the encapsulated
	// content (and of a leading outer MIME header block) of a CPIM message.
	MaxCPIMContentHeaders = 32
	// maxCPIMContentLines bounds the lines of the content header block,
	// folded continuation lines included.
	maxCPIMContentLines = 2 * (MaxCPIMContentHeaders + 1)
	// maxCPIMParams bounds the parameters of one CPIM message header.
	maxCPIMParams = 16
	// maxDispositions bounds the entries of one Disposition-Notification
	// value (RFC 5438 §10).
	maxDispositions = 16

	// MaxConferenceUsers is the most <user> elements of a conference-info
	// document; MaxConferenceEndpoints the most <endpoint> elements per
	// user; MaxConferenceMedia the most <media> elements per endpoint.
	MaxConferenceUsers     = 256
	MaxConferenceEndpoints = 16
	MaxConferenceMedia     = 16
)
