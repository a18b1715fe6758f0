package msrp

import (
	"errors"
	"strings"
	"testing"
)

// RFC 4975 §7.1.2-§7.1.4, §7.2, §12 and RFC 7701 §7.1, exhaustively.
func TestDecide(t *testing.T) {
	send := func(sr, fr ReportMode) *Message {
		return &Message{Method: MethodSEND, SuccessReport: sr, FailureReport: fr}
	}
	tests := []struct {
		name  string
		req   *Message
		phase Phase
		code  int
		want  Reply
	}{
		{"SEND accepted, Failure-Report absent", send(ReportUnset, ReportUnset), PhaseTransaction, 200, Reply{Response: 200}},
		{"SEND accepted, yes", send(ReportUnset, ReportYes), PhaseTransaction, 200, Reply{Response: 200}},
		{"SEND accepted, partial: no 200", send(ReportUnset, ReportPartial), PhaseTransaction, 200, Reply{}},
		{"SEND accepted, no", send(ReportYes, ReportNo), PhaseTransaction, 200, Reply{}},
		{"SEND refused, absent", send(ReportUnset, ReportUnset), PhaseTransaction, 415, Reply{Response: 415}},
		{"SEND refused, partial", send(ReportUnset, ReportPartial), PhaseTransaction, 413, Reply{Response: 413}},
		{"SEND refused, no: nothing, not even 481 (§7.3)", send(ReportUnset, ReportNo), PhaseTransaction, 481, Reply{}},
		{"delivered, Success-Report yes", send(ReportYes, ReportNo), PhaseDelivery, 200, Reply{Report: 200}},
		{"delivered, Success-Report no", send(ReportNo, ReportYes), PhaseDelivery, 200, Reply{}},
		{"delivered, Success-Report absent", send(ReportUnset, ReportYes), PhaseDelivery, 200, Reply{}},
		{"failed later, Failure-Report absent", send(ReportUnset, ReportUnset), PhaseDelivery, 408, Reply{Report: 408}},
		{"failed later, partial", send(ReportYes, ReportPartial), PhaseDelivery, 403, Reply{Report: 403}},
		{"failed later, no", send(ReportYes, ReportNo), PhaseDelivery, 403, Reply{}},
		{"REPORT: never answered", &Message{Method: MethodREPORT}, PhaseTransaction, 400, Reply{}},
		{"REPORT: never reported", &Message{Method: MethodREPORT, SuccessReport: ReportYes}, PhaseDelivery, 200, Reply{}},
		{"NICKNAME accepted", &Message{Method: MethodNICKNAME}, PhaseTransaction, 200, Reply{Response: 200}},
		{"NICKNAME in use", &Message{Method: MethodNICKNAME}, PhaseTransaction, 425, Reply{Response: 425}},
		{"NICKNAME: no REPORT", &Message{Method: MethodNICKNAME}, PhaseDelivery, 200, Reply{}},
		{"unknown method: 501", &Message{Method: "FOO"}, PhaseTransaction, 501, Reply{Response: 501}},
		{"unknown method, Failure-Report no", &Message{Method: "FOO", FailureReport: ReportNo}, PhaseTransaction, 501, Reply{}},
		{"a response is not answered", &Message{Code: 200}, PhaseTransaction, 400, Reply{}},
	}
	for _, tt := range tests {
		if got := Decide(tt.req, tt.phase, tt.code); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// The responses of RFC 4975 §11.1 and RFC 7701 §9.2, byte for byte, built
// from the requests they answer.
func TestInitResponseGolden(t *testing.T) {
	for _, tt := range []struct{ req, resp, comment string }{
		{"rfc4975-4-fig2-send.msrp", "rfc4975-4-fig2-200.msrp", ""},
		{"rfc4975-11.1-4-send.msrp", "rfc4975-11.1-5-200.msrp", ""},
		{"rfc4975-11.1-6-send.msrp", "rfc4975-11.1-7-200.msrp", ""},
		{"rfc7701-9.2-f1-nickname.msrp", "rfc7701-9.2-f2-425.msrp", ""},
		{"rfc7701-9.2-f3-nickname.msrp", "rfc7701-9.2-f4-200.msrp", "OK"},
	} {
		req, err := readOne(t, vector(t, tt.req))
		if err != nil {
			t.Fatal(err)
		}
		var resp Message
		code := 200
		if strings.Contains(tt.resp, "425") {
			code = 425
		}
		if err := resp.InitResponse(req, code, tt.comment); err != nil {
			t.Fatal(err)
		}
		if got, want := string(wire(t, &resp)), string(vector(t, tt.resp)); got != want {
			t.Errorf("%s:\n got %q\nwant %q", tt.resp, got, want)
		}
	}
}

// RFC 4976 §5: a response to a SEND goes to the previous hop only; the
// responder is the first URI of the To-Path it received.
func TestInitResponseRelayPaths(t *testing.T) {
	req, err := readOne(t, vector(t, "rfc4976-5-send-b.msrp"))
	if err != nil {
		t.Fatal(err)
	}
	var resp Message
	if err := resp.InitResponse(req, 200, ""); err != nil {
		t.Fatal(err)
	}
	if resp.ToPath.String() != "msrps://a.example.org:9000/kjfjan;tcp" || resp.FromPath.String() != "msrps://b.example.net:9000/aeiug;tcp" {
		t.Fatalf("to %v from %v", resp.ToPath, resp.FromPath)
	}
	// Other methods: the whole From-Path (RFC 4975 §7.2).
	req.Method = "FOO"
	if err := resp.InitResponse(req, 501, ""); err != nil || len(resp.ToPath) != 2 || resp.Comment != "Method Not Implemented" {
		t.Fatalf("%v %+v", err, resp)
	}
	if err := resp.InitResponse(&Message{TransactionID: "abcd"}, 400, ""); !errors.Is(err, ErrNoPath) || resp.TransactionID != "abcd" {
		t.Fatalf("%v", err)
	}
}

// RFC 4975 §11.6: the success REPORT for Figure 16. The RFC counts 106
// octets; the body has 121 (CRLF lines): the REPORT counts octets.
func TestInitReportGolden(t *testing.T) {
	req, err := readOne(t, vector(t, "rfc4975-11.6-fig16-send.msrp"))
	if err != nil {
		t.Fatal(err)
	}
	if d := Decide(req, PhaseDelivery, 200); d.Report != 200 {
		t.Fatalf("Decide: %+v", d)
	}
	var rep Message
	if err := rep.InitReport(req, "dkei38sd", 200, ""); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(vector(t, "rfc4975-11.6-fig17-report.msrp")), "1-106/106", "1-121/121", 1)
	if got := string(wire(t, &rep)); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	// RFC 7573 Example 25 is the receipt for Example 24: same fields
	// (its Byte-Range, 106, is copied from RFC 4975 and wrong too).
	req, err = readOne(t, vector(t, "rfc7573-ex24-send.msrp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.InitReport(req, "hx74g336", 200, ""); err != nil {
		t.Fatal(err)
	}
	want = strings.Replace(string(vector(t, "rfc7573-ex25-report.msrp")), "1-106/106", "1-22/22", 1)
	if got := string(wire(t, &rep)); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// A failure REPORT about a chunk: start and total from the request, end
// from the body received (RFC 4975 §7.1.4); and for a peer counting
// characters, the range is still in octets.
func TestInitReportChunk(t *testing.T) {
	req, err := readOne(t, vector(t, "rfc4975-11.4-fig15-chunk2.msrp"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Message
	if err := rep.InitReport(req, "r1r1", 413, ""); err != nil {
		t.Fatal(err)
	}
	if rep.ByteRange != (ByteRange{138, 147, 148}) || rep.Status != (Status{0, 413, "Message Too Large"}) ||
		rep.SuccessReport != ReportUnset || rep.FailureReport != ReportUnset || rep.MessageID != "12339sdqwer" {
		t.Fatalf("%+v", rep)
	}
	chars := testSend(t, "abcd", "héllo wörld") // 11 characters, 13 octets
	chars.ByteRange = ByteRange{1, 11, 11}
	if err := rep.InitReport(chars, "r2r2", 200, ""); err != nil || rep.ByteRange != (ByteRange{1, 13, 13}) {
		t.Fatalf("%v %v", err, rep.ByteRange)
	}
	if _, err := readOne(t, wire(t, &rep)); err != nil {
		t.Fatal(err)
	}
}
