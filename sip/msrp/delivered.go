package msrp

import (
	"context"
	"fmt"
)

// Delivered is what a REPORT about a message delivered to MSRPMessage
// needs, without the message's body: a gateway whose success REPORT waits
// for the final recipient's confirmation (RFC 7573 §7: an XMPP receipt
// becomes the REPORT) keeps this instead of the whole message. The zero
// value is not a message; use DeliveredOf.
type Delivered struct {
	m    *Message // header fields only
	size int64    // octets of the body
}

// DeliveredOf returns the report data of m, a message delivered to
// MSRPMessage (complete, Byte-Range 1-N/N).
func DeliveredOf(m *Message) Delivered {
	return Delivered{m: m.CloneHeader(), size: int64(len(m.Body))}
}

// MessageID returns the Message-ID of the message, "" for the zero value.
func (d Delivered) MessageID() string {
	if d.m == nil {
		return ""
	}
	return d.m.MessageID
}

// WantsSuccessReport reports whether the sender asked for a success
// REPORT (Success-Report: yes, RFC 4975 §7.1.1).
func (d Delivered) WantsSuccessReport() bool { return d.m != nil && d.m.WantsSuccessReport() }

// ReportDelivered is Report for a message kept as d: a success (code 200)
// or failure REPORT exactly as the message's report header fields ask,
// its Byte-Range counting the octets of the whole body.
func (s *Session) ReportDelivered(ctx context.Context, d Delivered, code int) error {
	if d.m == nil {
		return fmt.Errorf("msrp: report: %w: no message", ErrInvalid)
	}
	return s.report(ctx, d.m, d.size, code)
}
