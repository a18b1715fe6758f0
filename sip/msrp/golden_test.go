package msrp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Every example frame of RFC 4975 (§4 Figure 2, §11), RFC 4976 §5,
// RFC 7573 and RFC 7701 §9.2 reads, and writes back byte for byte. The
// RFC 4975 §5.1 Figure 3 snippet lacks the required paths and
// RFC 7573 Example 5 has From-Path first; both have tests of their own.
func TestGoldenRoundTrip(t *testing.T) {
	for _, name := range vectorNames(t) {
		if strings.HasPrefix(name, "rfc4975-5.1-fig3") || name == "rfc7573-ex5-send.msrp" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			in := vector(t, name)
			m, err := readOne(t, in)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			out, err := m.Append(nil)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("round trip differs:\n got %q\nwant %q", out, in)
			}
		})
	}
}

// The values read from the RFC examples, field by field.
func TestGoldenValues(t *testing.T) {
	alice := "msrp://alicepc.example.com:7777/iau39soe2843z;tcp"
	bob := "msrp://bob.example.com:8888/9di4eae923wzd;tcp"
	tests := []struct {
		file string
		want Message
	}{
		{"rfc4975-11.1-4-send.msrp", Message{TransactionID: "d93kswow", Method: "SEND",
			ToPath: Path{mustURI(t, bob)}, FromPath: Path{mustURI(t, alice)},
			MessageID: "12339sdqwer", ByteRange: ByteRange{1, 16, 16}, ContentType: "text/plain",
			Body: []byte("Hi, I'm Alice!"), Flag: FlagEnd}},
		{"rfc4975-11.1-5-200.msrp", Message{TransactionID: "d93kswow", Code: 200, Comment: "OK",
			ToPath: Path{mustURI(t, alice)}, FromPath: Path{mustURI(t, bob)}, Flag: FlagEnd}},
		{"rfc4975-11.4-fig14-chunk1.msrp", Message{TransactionID: "d93kswow", Method: "SEND",
			ToPath:    Path{mustURI(t, "msrp://bobpc.example.com:8888/9di4eae923wzd;tcp")},
			FromPath:  Path{mustURI(t, "msrp://alicepc.example.com:7654/iau39soe2843z;tcp")},
			MessageID: "12339sdqwer", ByteRange: ByteRange{1, 137, 148}, ContentType: "message/cpim",
			Body: []byte("To: Bob <sip:bob@example.com>\r\nFrom: Alice <sip:alice@example.com>\r\n" +
				"DateTime: 2006-05-15T15:02:31-03:00\r\nContent-Type: text/plain\r\n\r\nABCD"),
			Flag: FlagMore}},
		{"rfc4975-11.5-system.msrp", Message{TransactionID: "d93kswow", Method: "SEND",
			ToPath:    Path{mustURI(t, "msrp://alicepc.example.com:8888/9di4eae923wzd;tcp")},
			FromPath:  Path{mustURI(t, "msrp://example.com:7777/iau39soe2843z;tcp")},
			MessageID: "12339sdqwer", ByteRange: ByteRange{1, 38, 38},
			FailureReport: ReportNo, SuccessReport: ReportNo, ContentType: "text/plain",
			Body: []byte("This conference will end in 5 minutes"), Flag: FlagEnd}},
		{"rfc4975-11.6-fig17-report.msrp", Message{TransactionID: "dkei38sd", Method: "REPORT",
			ToPath: Path{mustURI(t, alice)}, FromPath: Path{mustURI(t, bob)},
			MessageID: "12339sdqwer", ByteRange: ByteRange{1, 106, 106},
			Status: Status{0, 200, "OK"}, Flag: FlagEnd}},
		{"rfc4976-5-send-a.msrp", Message{TransactionID: "6aef", Method: "SEND",
			ToPath: Path{mustURI(t, "msrps://a.example.org:9000/kjfjan;tcp"),
				mustURI(t, "msrps://b.example.net:9000/aeiug;tcp"),
				mustURI(t, "msrps://bob.example.net:8145/foo;tcp")},
			FromPath:      Path{mustURI(t, "msrps://alice.example.org:7965/bar;tcp")},
			SuccessReport: ReportYes, ByteRange: ByteRange{1, Unknown, Unknown}, MessageID: "87652",
			ContentType: "text/plain", Body: []byte("Hi Bob, I'm about to send you file.mpeg"), Flag: FlagEnd}},
		{"rfc7701-9.2-f1-nickname.msrp", Message{TransactionID: "d93kswow", Method: "NICKNAME",
			ToPath:      Path{mustURI(t, "msrp://chat.example.com:12763/kjhd37s2s20w2a;tcp")},
			FromPath:    Path{mustURI(t, "msrp://client.atlanta.example.com:7654/jshA7weztas;tcp")},
			UseNickname: `"Alice the great"`, Flag: FlagEnd}},
		{"rfc7701-9.2-f2-425.msrp", Message{TransactionID: "d93kswow", Code: 425,
			Comment:  "Nickname reserved or already in use",
			ToPath:   Path{mustURI(t, "msrp://client.atlanta.example.com:7654/jshA7weztas;tcp")},
			FromPath: Path{mustURI(t, "msrp://chat.example.com:12763/kjhd37s2s20w2a;tcp")}, Flag: FlagEnd}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := readOne(t, vector(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !sameMessage(m, &tt.want) {
				t.Fatalf("got  %+v\nwant %+v", m, &tt.want)
			}
		})
	}
}

// All vectors in one stream, through a 16-octet bufio.Reader fed one
// octet at a time: frames are found across every buffer boundary.
func TestGoldenStream(t *testing.T) {
	var stream bytes.Buffer
	var want [][]byte
	for _, name := range vectorNames(t) {
		if strings.HasPrefix(name, "rfc4975-5.1-fig3") {
			continue
		}
		v := vector(t, name)
		stream.Write(v)
		want = append(want, v)
	}
	for _, tc := range []struct {
		name string
		r    io.Reader
		size int
	}{
		{"whole", bytes.NewReader(stream.Bytes()), 4096},
		{"one octet at a time", iotest.OneByteReader(bytes.NewReader(stream.Bytes())), 16},
		{"half reads", iotest.HalfReader(bytes.NewReader(stream.Bytes())), 37},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bufio.NewReaderSize(tc.r, tc.size), Limits{}, nil)
			var m Message
			for i, w := range want {
				if err := r.Read(&m); err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				// RFC 7573 Example 5 is re-ordered; compare it by value.
				got := wire(t, &m)
				again, err := readOne(t, w)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, w) && !sameMessage(&m, again) {
					t.Fatalf("frame %d differs:\n got %q\nwant %q", i, got, w)
				}
			}
			if err := r.Read(&m); err != io.EOF {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
		})
	}
}

// RFC 7573 Example 5 puts From-Path before To-Path: read (lenient),
// written in the RFC 4975 §7.1 order (strict).
func TestGoldenFromPathFirst(t *testing.T) {
	in := vector(t, "rfc7573-ex5-send.msrp")
	m, err := readOne(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if m.ToPath[0].Host != "s2x.example.net" || m.FromPath[0].Host != "x2s.example.com" {
		t.Fatalf("paths: to %v from %v", m.ToPath, m.FromPath)
	}
	ls := strings.SplitN(string(in), "\r\n", 4)
	want := ls[0] + "\r\n" + ls[2] + "\r\n" + ls[1] + "\r\n" + ls[3]
	if got := string(wire(t, m)); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// RFC 4975 §5.1 Figure 3 leaves out To-Path and From-Path ("some lines
// ... removed"). Such frames are refused with 400, and the stream stays
// in sync: the second chunk is refused the same way, then EOF.
func TestGoldenFigure3(t *testing.T) {
	stream := append(vector(t, "rfc4975-5.1-fig3-chunk1.msrp"), vector(t, "rfc4975-5.1-fig3-chunk2.msrp")...)
	r := NewReader(bufio.NewReader(bytes.NewReader(stream)), Limits{}, nil)
	var m Message
	for _, want := range []struct {
		tid   string
		br    ByteRange
		flag  Flag
		bytes string
	}{{"dkei38sd", ByteRange{1, Unknown, 8}, FlagMore, "abcd"}, {"dkei38ia", ByteRange{5, 8, 8}, FlagEnd, "EFGH"}} {
		err := r.Read(&m)
		var fe *FrameError
		if !errors.As(err, &fe) || !fe.Recoverable || fe.Code != 400 || fe.TransactionID != want.tid || !errors.Is(err, ErrMalformed) {
			t.Fatalf("Read: %v, want a recoverable 400 for %s", err, want.tid)
		}
		if m.MessageID != "4564dpWd" || m.ByteRange != want.br {
			t.Fatalf("fields parsed before the error: %+v", m)
		}
	}
	if err := r.Read(&m); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}

	// With the paths of §4 added, the chunker produces Figure 3's
	// Byte-Range values when the first chunk is interrupted after "abcd".
	tmpl := &Message{ToPath: Path{mustURI(t, "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp")},
		FromPath:  Path{mustURI(t, "msrp://atlanta.example.com:7654/jshA7weztas;tcp")},
		MessageID: "4564dpWd", ContentType: "text/plain"}
	tids := []string{"dkei38sd", "dkei38ia"}
	c := NewChunker(tmpl, []byte("abcdEFGH"), ChunkConfig{Interruptible: true, NewTID: func() string {
		id := tids[0]
		tids = tids[1:]
		return id
	}})
	var chunk Message
	c.Next(&chunk)
	hdr, err := chunk.AppendHeader(nil)
	if err != nil {
		t.Fatal(err)
	}
	cut := c.CutPoint(4)
	first := AppendEndLine(append(hdr, chunk.Body[:cut]...), chunk.TransactionID, FlagMore, true)
	c.Interrupted(cut)
	c.Next(&chunk)
	if !strings.Contains(string(first), "Byte-Range: 1-*/8\r\n") || !strings.HasSuffix(string(first), "\r\nabcd\r\n-------dkei38sd+\r\n") {
		t.Fatalf("first chunk %q", first)
	}
	if chunk.ByteRange != (ByteRange{5, Unknown, 8}) || string(chunk.Body) != "EFGH" || chunk.Flag != FlagEnd || !c.Done() {
		t.Fatalf("second chunk %+v", chunk)
	}
}

// Lines ending in LF alone read the same as with CRLF (the body keeps its
// own line endings).
func TestGoldenBareLF(t *testing.T) {
	for _, name := range vectorNames(t) {
		if strings.HasPrefix(name, "rfc4975-5.1-fig3") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			want, err := readOne(t, vector(t, name))
			if err != nil {
				t.Fatal(err)
			}
			lf := bytes.ReplaceAll(vector(t, name), []byte("\r\n"), []byte("\n"))
			got, err := readOne(t, lf)
			if err != nil {
				t.Fatalf("LF-only: %v", err)
			}
			want.Body = bytes.ReplaceAll(want.Body, []byte("\r\n"), []byte("\n"))
			if !sameMessage(got, want) {
				t.Fatalf("LF-only:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}
