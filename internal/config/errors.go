package config

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every error returned by this package wraps one of them.
var (
	// ErrUnknownKey is wrapped by an UnknownKeyError: the file contains a key
	// that sxgw does not define.
	ErrUnknownKey = errors.New("config: unknown key")
	// ErrInvalid is wrapped by a FieldError: a value does not satisfy its rule.
	ErrInvalid = errors.New("config: invalid value")
	// ErrSyntax is wrapped when the file is not valid TOML or a value has the
	// wrong type.
	ErrSyntax = errors.New("config: cannot decode")
)

// UnknownKeyError reports a key of the file that has no meaning to sxgw.
type UnknownKeyError struct {
	File string // file name as given to Load or Parse
	Line int    // 1-based line of the key
	Key  string // dotted key path, e.g. "xmpp.listn"
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("config: %s:%d: unknown key %q", e.File, e.Line, e.Key)
}

// Unwrap returns ErrUnknownKey.
func (e *UnknownKeyError) Unwrap() error { return ErrUnknownKey }

// FieldError reports one value that does not satisfy its rule. Its text is
// the key path followed by the problem, e.g.
// `sip.listen[1]: unknown transport "sctp"`.
type FieldError struct {
	Key string // key path, e.g. "sip.listen[1]"
	Msg string // what is wrong
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// index formats the key path of element i of the list at key.
func index(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }
