package simple

import "errors"

// Sentinel errors. Every error a parser or encoder in this package returns
// wraps exactly one of them (ErrLimit also wraps ErrMalformed), so callers
// pick the SIP status with errors.Is: ErrMalformed -> 400, a body that is
// the wrong media type is the caller's own 415.
var (
	// ErrMalformed reports a payload that does not follow its
	// specification's syntax or structure.
	ErrMalformed = errors.New("simple: malformed payload")

	// ErrLimit reports a payload beyond one of the bounds this package puts
	// on hostile input (nesting, element and header counts). Errors that
	// wrap ErrLimit also wrap ErrMalformed.
	ErrLimit = errors.New("simple: payload exceeds limits")

	// ErrInvalid reports a value that Marshal refuses to encode because the
	// result would not be valid (or would not parse back to the same value).
	ErrInvalid = errors.New("simple: invalid value")
)

// codecError is the error type of this package: "simple: <codec>: <msg>",
// unwrapping to its sentinels and to the underlying cause, if any.
type codecError struct {
	codec string
	msg   string
	errs  []error
}

func (e *codecError) Error() string { return "simple: " + e.codec + ": " + e.msg }

func (e *codecError) Unwrap() []error { return e.errs }

// malformed returns an ErrMalformed error for codec.
func malformed(codec, msg string) error {
	return &codecError{codec: codec, msg: msg, errs: []error{ErrMalformed}}
}

// malformedCause returns an ErrMalformed error for codec that also wraps
// cause (an encoding/xml or time parse error).
func malformedCause(codec, msg string, cause error) error {
	return &codecError{codec: codec, msg: msg + ": " + cause.Error(), errs: []error{ErrMalformed, cause}}
}

// overLimit returns an ErrLimit (and ErrMalformed) error for codec.
func overLimit(codec, msg string) error {
	return &codecError{codec: codec, msg: msg, errs: []error{ErrMalformed, ErrLimit}}
}

// invalid returns an ErrInvalid error for codec.
func invalid(codec, msg string) error {
	return &codecError{codec: codec, msg: msg, errs: []error{ErrInvalid}}
}
