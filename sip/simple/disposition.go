package simple

import "strings"

// DispositionNotification is the set of notifications an IM asks for in
// its Disposition-Notification CPIM header (RFC 5438 §6.2, §7.1.1.3, §10).
// The zero value asks for none.
type DispositionNotification uint8

// Disposition notification requests (RFC 5438 §7.1.1.3).
const (
	NotifyPositiveDelivery DispositionNotification = 1 << iota // "positive-delivery"
	NotifyNegativeDelivery                                     // "negative-delivery"
	NotifyProcessing                                           // "processing"
	NotifyDisplay                                              // "display"
)

var dispositionNames = [...]struct {
	d    DispositionNotification
	name string
}{
	{NotifyPositiveDelivery, "positive-delivery"},
	{NotifyNegativeDelivery, "negative-delivery"},
	{NotifyProcessing, "processing"},
	{NotifyDisplay, "display"},
}

// ParseDispositionNotification parses a Disposition-Notification header
// value (RFC 5438 §10): notify-req *(COMMA notify-req), each a token with
// optional ";" parameters. Tokens it does not know are ignored, as
// §7.2.1 requires of an IM recipient, and so are parameters; an empty
// value asks for nothing. Syntax errors wrap ErrMalformed.
func ParseDispositionNotification(v string) (DispositionNotification, error) {
	const codec = "imdn"
	var d DispositionNotification
	if strings.Trim(v, " ") == "" {
		return 0, nil
	}
	n := 0
	for req := range strings.SplitSeq(v, ",") {
		if n++; n > maxDispositions {
			return 0, overLimit(codec, "too many Disposition-Notification values")
		}
		tok, params, hasParams := strings.Cut(req, ";")
		tok = strings.Trim(tok, " ")
		if !isToken(tok) {
			return 0, malformed(codec, "bad Disposition-Notification value")
		}
		for p := range strings.SplitSeq(params, ";") {
			if !hasParams {
				break
			}
			if name, _, ok := strings.Cut(strings.Trim(p, " "), "="); !ok || !isName(name) {
				return 0, malformed(codec, "bad Disposition-Notification parameter")
			}
		}
		for _, dn := range dispositionNames {
			if tok == dn.name {
				d |= dn.d
			}
		}
	}
	return d, nil
}

// Has reports whether d asks for every notification in x.
func (d DispositionNotification) Has(x DispositionNotification) bool { return d&x == x }

// String formats d as a Disposition-Notification header value:
// "positive-delivery, negative-delivery, processing, display" in that
// order, "" for none.
func (d DispositionNotification) String() string {
	var b strings.Builder
	for _, dn := range dispositionNames {
		if d&dn.d == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(dn.name)
	}
	return b.String()
}
