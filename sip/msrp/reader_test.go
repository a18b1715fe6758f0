package msrp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

const (
	tp = "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp"
	fp = "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp"
)

// next is a well-formed frame appended after each case: a recoverable
// error must leave the Reader in front of it.
var next = lines("MSRP nextnext SEND", tp, fp, "Message-ID: nx1", "-------nextnext$")

func TestReaderFrames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  Limits
		// success
		body  string
		check func(*Message) bool
		// failure
		err         error
		code        int
		recoverable bool
	}{
		{name: "bodiless SEND (RFC 4975 §5.4 binding request)",
			in:    lines("MSRP a786hjs2 SEND", tp, fp, "Message-ID: 87652491", "Byte-Range: 1-0/0", "-------a786hjs2$"),
			check: func(m *Message) bool { return !m.HasBody() && m.Body == nil && m.ByteRange == ByteRange{1, 0, 0} }},
		{name: "empty body",
			in:    lines("MSRP a786hjs2 SEND", tp, fp, "Message-ID: 87652491", "Byte-Range: 1-0/0", "Content-Type: text/plain", "", "", "-------a786hjs2$"),
			check: func(m *Message) bool { return m.HasBody() && len(m.Body) == 0 }},
		{name: "empty body without its CRLF",
			in:    lines("MSRP a786hjs2 SEND", tp, fp, "Message-ID: 87652491", "Content-Type: text/plain", "", "-------a786hjs2$"),
			check: func(m *Message) bool { return m.HasBody() && len(m.Body) == 0 }},
		{name: "body holding end-lines of other transactions and near misses",
			in: lines("MSRP abcd SEND", tp, fp, "Message-ID: m1", "Content-Type: text/plain", "",
				"-------", "-------abc$", "-------abcde$", "-------abcd", "-------abcd$x", "x-------abcd\rz", "-------abcd$\rz", "-------abcd$"),
			body: "-------\r\n-------abc$\r\n-------abcde$\r\n-------abcd\r\n-------abcd$x\r\nx-------abcd\rz\r\n-------abcd$\rz"},
		{name: "binary body with CR, LF, NUL",
			in:   "MSRP abcd SEND\r\n" + tp + "\r\n" + fp + "\r\nContent-Type: application/octet-stream\r\n\r\n\x00\r\n\n\r\xff\r\n\r\n-------abcd+\r\n",
			body: "\x00\r\n\n\r\xff\r\n", check: func(m *Message) bool { return m.Flag == FlagMore }},
		{name: "abort flag",
			in:    lines("MSRP abcd SEND", tp, fp, "Message-ID: m1", "Byte-Range: 3-*/10", "Content-Type: text/plain", "", "xy", "-------abcd#"),
			check: func(m *Message) bool { return m.Flag == FlagAbort && string(m.Body) == "xy" }},
		{name: "empty lines between frames",
			in:    "\r\n\r\n\n" + lines("MSRP abcd SEND", tp, fp, "-------abcd$"),
			check: func(m *Message) bool { return m.TransactionID == "abcd" }},
		{name: "header fields in any order and case; Byte-Range after Content-Disposition",
			in: lines("MSRP abcd SEND", fp, "content-disposition: inline", "x-ext:  v ", "byte-range: 1-2/2",
				"MESSAGE-ID: m1", "Content-Type: text/plain", tp, "", "hi", "-------abcd$"),
			check: func(m *Message) bool {
				return m.ByteRange == ByteRange{1, 2, 2} && m.MessageID == "m1" && m.Header("X-Ext") == "v" &&
					m.Header("Content-Disposition") == "inline" && len(m.ToPath) == 1
			}},
		{name: "unknown method",
			in:    lines("MSRP abcd FOO", tp, fp, "-------abcd$"),
			check: func(m *Message) bool { return m.Method == "FOO" && m.IsRequest() }},
		{name: "response without comment",
			in:    lines("MSRP abcd 481", "To-Path: msrp://a.example.com:1/s;tcp", "From-Path: msrp://b.example.com:2/t;tcp", "-------abcd$"),
			check: func(m *Message) bool { return m.Code == 481 && m.Comment == "" && !m.IsRequest() }},
		{name: "Content-Type in a bodiless request counts as an empty body",
			in:    lines("MSRP abcd SEND", tp, fp, "Content-Type: text/plain", "-------abcd$"),
			check: func(m *Message) bool { return m.HasBody() && len(m.Body) == 0 }},

		{name: "not MSRP", in: "GET / HTTP/1.1\r\n\r\n", err: ErrDesync},
		{name: "lower-case protocol", in: lines("msrp abcd SEND", tp, fp, "-------abcd$"), err: ErrDesync},
		{name: "bad transaction id", in: lines("MSRP _bad SEND", tp, fp, "-------_bad$"), err: ErrDesync},
		{name: "end-line of another transaction", in: lines("MSRP abcd SEND", tp, fp, "-------abce$"), err: ErrDesync},
		{name: "start line over the header bound", in: "MSRP abcd SEND" + strings.Repeat(" ", 100) + "\r\n",
			lim: Limits{MaxHeaderBytes: 64}, err: ErrDesync},
		{name: "lower-case method", in: lines("MSRP abcd send", tp, fp, "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "missing To-Path", in: lines("MSRP abcd SEND", fp, "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "bad URI", in: lines("MSRP abcd SEND", "To-Path: sip:bob@example.com", fp, "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "repeated Message-ID", in: lines("MSRP abcd SEND", tp, fp, "Message-ID: m1", "Message-ID: m2", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "Byte-Range from 0", in: lines("MSRP abcd SEND", tp, fp, "Byte-Range: 0-1/2", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "Byte-Range end before start", in: lines("MSRP abcd SEND", tp, fp, "Byte-Range: 5-3/10", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "Byte-Range end after total", in: lines("MSRP abcd SEND", tp, fp, "Byte-Range: 1-20/10", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "Byte-Range garbage", in: lines("MSRP abcd SEND", tp, fp, "Byte-Range: 1-x/10", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "Failure-Report maybe", in: lines("MSRP abcd SEND", tp, fp, "Failure-Report: maybe", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "Status without code", in: lines("MSRP abcd REPORT", tp, fp, "Message-ID: m", "Status: 000", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "REPORT without Status", in: lines("MSRP abcd REPORT", tp, fp, "Message-ID: m", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "control character in a value", in: lines("MSRP abcd SEND", tp, fp, "X-A: a\x00b", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "header line without colon", in: lines("MSRP abcd SEND", tp, fp, "garbage", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "body without Content-Type", in: lines("MSRP abcd SEND", tp, fp, "", "hello", "-------abcd$"), err: ErrMalformed, code: 400, recoverable: true},
		{name: "malformed header and a body to skip", in: lines("MSRP abcd SEND", tp, fp, "Byte-Range: x", "Content-Type: text/plain", "", "hello", "-------abcd$"),
			err: ErrMalformed, code: 400, recoverable: true},
		{name: "response with a body is dropped, not answered", in: lines("MSRP abcd 200 OK", tp, fp, "Content-Type: text/plain", "", "x", "-------abcd$"),
			err: ErrMalformed, code: 0, recoverable: true},
		{name: "response code 000", in: lines("MSRP abcd 000", tp, fp, "-------abcd$"), err: ErrMalformed, code: 0, recoverable: true},
		{name: "header section over its bound", in: lines("MSRP abcd SEND", tp, fp, "X-Big: "+strings.Repeat("a", 300), "Content-Type: text/plain", "", "hi", "-------abcd$"),
			lim: Limits{MaxHeaderBytes: 256}, err: ErrHeaderTooLarge, code: 400, recoverable: true},
		{name: "header overflow in the end-line itself", in: lines("MSRP abcdefghijklmnop SEND", tp, fp, "X-Pad: "+strings.Repeat("a", 40), "-------abcdefghijklmnop$"),
			lim: Limits{MaxHeaderBytes: len(lines("MSRP abcdefghijklmnop SEND", tp, fp, "X-Pad: "+strings.Repeat("a", 40))) + 5}, err: ErrHeaderTooLarge, code: 400, recoverable: true},
		{name: "body over its bound", in: lines("MSRP abcd SEND", tp, fp, "Content-Type: text/plain", "", strings.Repeat("z", 5000), "-------abcd$"),
			lim: Limits{MaxBody: 1000}, err: ErrBodyTooLarge, code: 413, recoverable: true},
		{name: "body just over its bound, end-line in the same read", in: lines("MSRP abcd SEND", tp, fp, "Content-Type: text/plain", "", strings.Repeat("z", 1001), "-------abcd$"),
			lim: Limits{MaxBody: 1000}, err: ErrBodyTooLarge, code: 413, recoverable: true},
		{name: "REPORT body over 10240 octets (RFC 4975 §7.1)", in: lines("MSRP abcd REPORT", tp, fp, "Message-ID: m", "Status: 000 200 OK", "Content-Type: text/plain", "", strings.Repeat("z", 10241), "-------abcd$"),
			err: ErrBodyTooLarge, code: 413, recoverable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(bufio.NewReaderSize(strings.NewReader(tt.in+next), 64), tt.lim, nil)
			var m Message
			err := r.Read(&m)
			if tt.err == nil {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if tt.body != "" && string(m.Body) != tt.body {
					t.Fatalf("body %q, want %q", m.Body, tt.body)
				}
				if tt.check != nil && !tt.check(&m) {
					t.Fatalf("unexpected message %+v", m)
				}
				out, err := m.Append(nil)
				if ContainsEndLine(m.Body, m.TransactionID) {
					// Read tolerates end-line text not followed by a line
					// end in a body; the writer refuses it (RFC 4975 §7.1).
					if !errors.Is(err, ErrEndLineInBody) {
						t.Fatalf("Append: %v, want ErrEndLineInBody", err)
					}
				} else if again, err2 := readOne(t, out); err != nil || err2 != nil || !sameMessage(again, &m) {
					t.Fatalf("write and re-read: %v %v\n%+v\n%+v", err, err2, again, m)
				}
			} else {
				var fe *FrameError
				if !errors.As(err, &fe) || !errors.Is(err, tt.err) {
					t.Fatalf("Read: %v, want a FrameError with %v", err, tt.err)
				}
				if fe.Code != tt.code || fe.Recoverable != tt.recoverable {
					t.Fatalf("code %d recoverable %v, want %d %v (%v)", fe.Code, fe.Recoverable, tt.code, tt.recoverable, err)
				}
				if fe.Recoverable && fe.TransactionID != m.TransactionID {
					t.Fatalf("transaction id %q vs message %q", fe.TransactionID, m.TransactionID)
				}
				if !fe.Recoverable {
					return
				}
			}
			if err := r.Read(&m); err != nil || m.TransactionID != "nextnext" || m.MessageID != "nx1" {
				t.Fatalf("next frame: %v %+v", err, m)
			}
			if err := r.Read(&m); err != io.EOF {
				t.Fatalf("got %v, want io.EOF", err)
			}
		})
	}
}

// The 413 for a chunk over the bound is returned before the chunk has
// been read to its end (RFC 4975 §10.5: the sender must interrupt it), with
// the header fields available to address the response.
func TestReaderTooLargeEarly(t *testing.T) {
	defer goleak.VerifyNone(t)
	head := lines("MSRP abcd SEND", tp, fp, "Message-ID: big", "Failure-Report: partial", "Content-Type: text/plain", "")
	pr, pw := io.Pipe()
	defer pr.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.Write([]byte(head))
		pw.Write(bytes.Repeat([]byte("z"), 3000))
		// The reader answers before the sender ends the chunk: the sender
		// stops when its write is unblocked, then interrupts.
		pw.Write([]byte("\r\n-------abcd+\r\n" + next))
		pw.Close()
	}()
	r := NewReader(bufio.NewReaderSize(pr, 512), Limits{MaxBody: 1000}, nil)
	var m Message
	err := r.Read(&m)
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Code != 413 || !fe.Recoverable {
		t.Fatalf("Read: %v", err)
	}
	if m.MessageID != "big" || m.FailureReport != ReportPartial || len(m.FromPath) != 1 || m.Body != nil {
		t.Fatalf("header fields: %+v", m)
	}
	if got := Decide(&m, PhaseTransaction, fe.Code); got != (Reply{Response: 413}) {
		t.Fatalf("Decide: %+v", got)
	}
	if err := r.Read(&m); err != nil || m.TransactionID != "nextnext" {
		t.Fatalf("next: %v %+v", err, m)
	}
	<-done
}

func TestReaderEOF(t *testing.T) {
	for _, in := range []string{
		"MSRP abcd SEND\r\n",
		"MSRP abcd SEND\r\n" + tp + "\r\n" + fp,
		lines("MSRP abcd SEND", tp, fp, "Content-Type: text/plain", "", "body"),
		lines("MSRP abcd SEND", tp, fp, "Content-Type: text/plain", "", "body") + "-------abcd$",
		"MSRP ab",
	} {
		_, err := readOne(t, []byte(in))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
	for _, in := range []string{"", "\r\n\r\n"} {
		if _, err := readOne(t, []byte(in)); err != io.EOF {
			t.Errorf("%q: %v, want io.EOF", in, err)
		}
	}
}

// Bodies of every size around the buffer sizes, through a small
// bufio.Reader: the end-line is found wherever the reads split it.
func TestReaderBodySizes(t *testing.T) {
	var stream bytes.Buffer
	var bodies []string
	for n := 0; n < 300; n += 7 {
		body := strings.Repeat("-", n%11) + strings.Repeat("é", n/2) + strings.Repeat("\r\n", n%3)
		m := testSend(t, "tx"+strings.Repeat("9", n%5+2), body)
		stream.Write(wire(t, m))
		bodies = append(bodies, body)
	}
	r := NewReader(bufio.NewReaderSize(&stream, 16), Limits{MaxBody: 1 << 10}, NewBufferPool())
	var m Message
	for i, want := range bodies {
		if err := r.Read(&m); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if string(m.Body) != want {
			t.Fatalf("frame %d body %q, want %q", i, m.Body, want)
		}
	}
	r.Release()
	if r.bufp != nil || r.buf != nil {
		t.Fatal("Release kept the buffer")
	}
}

func TestReaderReleaseKeepsNoBuffer(t *testing.T) {
	in := wire(t, testSend(t, "abcd", strings.Repeat("x", 100000)))
	r := NewReader(bufio.NewReader(bytes.NewReader(in)), Limits{}, nil)
	var m Message
	if err := r.Read(&m); err != nil || len(m.Body) != 100000 {
		t.Fatalf("Read: %v", err)
	}
	r.Release()
	if r.buf != nil || cap(r.hdr) > 4<<10 {
		t.Fatalf("idle reader holds %d body and %d header octets", cap(r.buf), cap(r.hdr))
	}
}

// A chunk over the bound is answered 413 at once; skipping the rest of it
// is bounded too: past MaxDiscard the stream is given up.
func TestReaderMaxDiscard(t *testing.T) {
	in := lines("MSRP abcd SEND", tp, fp, "Content-Type: text/plain", "", strings.Repeat("z", 9000), "-------abcd$")
	r := NewReader(bufio.NewReaderSize(strings.NewReader(in+next), 64), Limits{MaxBody: 1000, MaxDiscard: 4000}, nil)
	var m Message
	var fe *FrameError
	if err := r.Read(&m); !errors.As(err, &fe) || fe.Code != 413 || !fe.Recoverable {
		t.Fatalf("first Read: %v", err)
	}
	if err := r.Read(&m); !errors.As(err, &fe) || fe.Recoverable || !errors.Is(err, ErrDesync) {
		t.Fatalf("second Read: %v, want ErrDesync", err)
	}
	if r.buf != nil || r.skipping {
		t.Fatal("buffer kept after giving up")
	}
}
