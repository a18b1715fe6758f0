package msrp

import (
	"errors"
	"testing"
)

// TestSendMessageAndReportDelivered: SendMessage with a Message-ID of the
// caller's carries it and the report header fields asked; the receiver
// keeps the message as Delivered (no body) and reports it later with the
// whole message's Byte-Range (RFC 4975 §7.1.2); Delivered of a message
// that asked for no success report sends nothing on 200.
func TestSendMessageAndReportDelivered(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{})
	ha, hb := newRecorder(), newRecorder()
	sa, sb := a.NewSession(ha, nil), b.NewSession(hb, nil)
	connectPair(t, sa, sb, true)
	body := textOf(5000) // several chunks

	id := NewMessageID()
	got, err := sa.SendMessage(ctxT(t), "text/plain", []byte(body), SendOptions{MessageID: id, SuccessReport: true, FailureReport: "yes"})
	if err != nil || got != id {
		t.Fatalf("SendMessage = %q, %v; want %q", got, err, id)
	}
	m := hb.message(t)
	if m.MessageID != id || !m.WantsSuccessReport() || m.FailureReport != ReportYes {
		t.Fatalf("received %s Success-Report %v Failure-Report %v", m.MessageID, m.SuccessReport, m.FailureReport)
	}
	d := DeliveredOf(m)
	if d.MessageID() != id || !d.WantsSuccessReport() {
		t.Fatalf("Delivered %q %v", d.MessageID(), d.WantsSuccessReport())
	}
	m.Body = nil // the handler's copy may go: Delivered keeps no body
	if err := sb.ReportDelivered(ctxT(t), d, StatusOK); err != nil {
		t.Fatal(err)
	}
	r := ha.report(t)
	n := int64(len(body))
	if r.MessageID != id || r.Status.Code != StatusOK || r.ByteRange != (ByteRange{1, n, n}) {
		t.Fatalf("REPORT %s %v %v", r.MessageID, r.Status, r.ByteRange)
	}

	// No Success-Report: 200 sends nothing, a failure does.
	id2, err := sa.SendMessage(ctxT(t), "text/plain", []byte("plain"), SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d = DeliveredOf(hb.message(t))
	if err := sb.ReportDelivered(ctxT(t), d, StatusOK); err != nil {
		t.Fatal(err)
	}
	if err := sb.ReportDelivered(ctxT(t), d, StatusForbidden); err != nil {
		t.Fatal(err)
	}
	if r := ha.report(t); r.MessageID != id2 || r.Status.Code != StatusForbidden || r.ByteRange != (ByteRange{1, 5, 5}) {
		t.Fatalf("failure REPORT %s %v %v", r.MessageID, r.Status, r.ByteRange)
	}

	// Bad input.
	if err := sb.ReportDelivered(ctxT(t), Delivered{}, StatusOK); !errors.Is(err, ErrInvalid) {
		t.Errorf("ReportDelivered of the zero value: %v", err)
	}
	if (Delivered{}).MessageID() != "" || (Delivered{}).WantsSuccessReport() {
		t.Error("zero Delivered is not empty")
	}
	for _, bad := range []string{"-starts-with-dash", "has space", string(make([]byte, 300))} {
		if _, err := sa.SendMessage(ctxT(t), "text/plain", []byte("x"), SendOptions{MessageID: bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("SendMessage with Message-ID %q: %v", bad, err)
		}
	}
	if _, err := sa.SendMessage(ctxT(t), "text/plain", []byte("x"), SendOptions{FailureReport: "maybe"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("SendMessage with Failure-Report maybe: %v", err)
	}
}
