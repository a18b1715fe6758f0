package msrp

import (
	"errors"
	"fmt"
)

// Sentinel errors. The Reader wraps the framing ones in a *FrameError,
// the Reassembler its own in a *ChunkError; errors.Is works through both.
var (
	// ErrMalformed: a frame does not follow the RFC 4975 §9 grammar (bad
	// start line, header field or end-line).
	ErrMalformed = errors.New("msrp: malformed frame")

	// ErrHeaderTooLarge: the start line and header fields of a frame are
	// longer than Limits.MaxHeaderBytes.
	ErrHeaderTooLarge = errors.New("msrp: header section too large")

	// ErrBodyTooLarge: a chunk body is longer than Limits.MaxBody, or a
	// non-SEND body longer than 10240 octets (RFC 4975 §7.1).
	ErrBodyTooLarge = errors.New("msrp: body too large")

	// ErrDesync: the stream cannot be framed any more (the start line is
	// unreadable, an end-line does not match, or resynchronising would
	// discard more than Limits.MaxDiscard bytes). The connection must be
	// closed.
	ErrDesync = errors.New("msrp: stream out of sync")

	// ErrBadURI: text that is not an MSRP URI (RFC 4975 §9).
	ErrBadURI = errors.New("msrp: malformed MSRP URI")

	// ErrInvalid: a Message that cannot be written as it stands (the
	// writer's checks of the RFC 4975 §9 grammar).
	ErrInvalid = errors.New("msrp: invalid message")

	// ErrEndLineInBody: the body contains the end-line of the transaction
	// (RFC 4975 §7.1): the sender must pick another transaction id.
	ErrEndLineInBody = errors.New("msrp: body contains the end-line")

	// ErrTooLarge: a message is larger than the receiver accepts
	// (max-size, RFC 4975 §8.6) or does not fit the reassembly memory
	// bound. Answer 413 (RFC 4975 §10.5) and drop the message.
	ErrTooLarge = errors.New("msrp: message too large")

	// ErrBadChunk: a chunk that cannot be placed in its message (no
	// Message-ID on a partial chunk, data beyond the end the "$" chunk
	// set). Answer 400.
	ErrBadChunk = errors.New("msrp: inconsistent chunk")

	// ErrBadNickname: a Use-Nickname value that is not a quoted string of
	// at most 1023 octets (RFC 7701 §7.1). Answer 424.
	ErrBadNickname = errors.New("msrp: malformed nickname")

	// ErrNoPath: a response or REPORT cannot be addressed because the
	// request's To-Path or From-Path is empty.
	ErrNoPath = errors.New("msrp: request has no path to answer")

	// ErrBadFingerprint: an a=fingerprint value that does not follow
	// RFC 8122 §5 (hash function, then colon-separated hex bytes of the
	// hash's length).
	ErrBadFingerprint = errors.New("msrp: malformed fingerprint")

	// ErrFingerprint: a TLS peer's certificate does not match the
	// fingerprint of its SDP, or it presented none (RFC 8122 §5.1, §6.2).
	// The connection is refused and the session torn down (RFC 4975
	// §14.4).
	ErrFingerprint = errors.New("msrp: certificate does not match the SDP fingerprint")

	// ErrNoTLS: an msrps session was asked of an endpoint without a TLS
	// listener (EndpointOptions.TLSListen).
	ErrNoTLS = errors.New("msrp: no TLS listener")

	// ErrTLSRequired: a session over plain TCP on an endpoint whose
	// EndpointOptions.RequireTLS is set.
	ErrTLSRequired = errors.New("msrp: TLS required")

	// ErrSchemeMismatch: the peer's path and the session differ in
	// scheme, msrp and msrps (RFC 4975 §6: msrps means TLS; an SDP
	// answer keeps the offer's TCP/MSRP or TCP/TLS/MSRP, §8.1).
	ErrSchemeMismatch = errors.New("msrp: msrp and msrps mixed in one session")
)

// FrameError is what Reader.Read returns for a frame it cannot deliver.
// It tells the caller what the frame allows:
//
//   - Recoverable false: the stream is out of sync; close the connection
//     (its sessions fail, RFC 4975 §5.4).
//   - Recoverable true: the frame has been (or, for ErrBodyTooLarge, will
//     be on the next Read) skipped up to its end-line; the connection
//     stays usable.
//   - Code != 0 (requests only): the status to answer with, subject to the
//     Failure-Report rules (use Decide with PhaseTransaction): 400 for a
//     malformed request, 413 for a body over the limit.
type FrameError struct {
	// TransactionID of the frame, "" when the start line was unreadable.
	TransactionID string
	// Request is true when the frame is a request.
	Request bool
	// Code is the status to answer a request with, or 0.
	Code int
	// Recoverable is true when the Reader can go on with the next frame.
	Recoverable bool
	// Err is the cause (one of the sentinels, possibly wrapped).
	Err error
}

func (e *FrameError) Error() string {
	if e.TransactionID == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v (transaction %q)", e.Err, e.TransactionID)
}

func (e *FrameError) Unwrap() error { return e.Err }

// ChunkError is what Reassembler.Add returns for a chunk it rejects. The
// message the chunk belongs to has been dropped; later chunks of the same
// Message-ID are rejected with the same code.
type ChunkError struct {
	// MessageID of the rejected message.
	MessageID string
	// Code is the status to answer with: 413 (ErrTooLarge) or 400.
	Code int
	// Err is the cause.
	Err error
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("%v (message %q)", e.Err, e.MessageID)
}

func (e *ChunkError) Unwrap() error { return e.Err }

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
