package msrp

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func chunkTemplate(tb testing.TB, ct string) *Message {
	m := testSend(tb, "x", "")
	m.ContentType = ct
	m.SuccessReport = ReportYes
	return m
}

// collect runs a Chunker to the end, checking each chunk against
// RFC 4975 §7.1.1.
func collect(t *testing.T, c *Chunker, body []byte, size int) []Message {
	t.Helper()
	var out []Message
	var next int64 = 1
	for i := 0; ; i++ {
		if i > len(body)+2 {
			t.Fatal("chunker does not end")
		}
		var m Message
		if !c.Next(&m) {
			break
		}
		n := int64(len(m.Body))
		switch {
		case m.ByteRange.Start != next, m.ByteRange.Total != int64(len(body)):
			t.Fatalf("chunk %d: Byte-Range %v, expected start %d total %d", i, m.ByteRange, next, len(body))
		case n > int64(InterruptibleSize) && m.ByteRange.End != Unknown:
			t.Fatalf("chunk %d of %d octets not interruptible: %v", i, n, m.ByteRange)
		case m.ByteRange.End != Unknown && m.ByteRange.End != next+n-1:
			t.Fatalf("chunk %d: range-end %d for %d octets", i, m.ByteRange.End, n)
		case n > int64(size)+utf8.UTFMax:
			t.Fatalf("chunk %d: %d octets for size %d", i, n, size)
		case (m.Flag == FlagEnd) != (next+n-1 == int64(len(body))):
			t.Fatalf("chunk %d: flag %c at %d of %d", i, m.Flag, next+n-1, len(body))
		case m.Method != MethodSEND || m.MessageID != "12339sdqwer" || m.SuccessReport != ReportYes:
			t.Fatalf("chunk %d lost template fields: %+v", i, m)
		}
		if _, err := m.Append(nil); err != nil {
			t.Fatalf("chunk %d cannot be written: %v", i, err)
		}
		next += n
		out = append(out, m)
	}
	if !c.Done() || c.Sent() != len(body) {
		t.Fatalf("Done %v Sent %d of %d", c.Done(), c.Sent(), len(body))
	}
	return out
}

func join(ms []Message) []byte {
	var b []byte
	for _, m := range ms {
		b = append(b, m.Body...)
	}
	return b
}

func TestChunkerSizes(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000) // 10000 octets
	for _, tc := range []struct {
		size, chunks int
	}{{0, 5}, {2048, 5}, {1000, 10}, {10000, 1}, {20000, 1}, {4096, 3}} {
		c := NewChunker(chunkTemplate(t, "application/octet-stream"), body, ChunkConfig{Size: tc.size})
		size := tc.size
		if size == 0 {
			size = DefaultChunkSize
		}
		ms := collect(t, c, body, size)
		if len(ms) != tc.chunks || !bytes.Equal(join(ms), body) {
			t.Fatalf("size %d: %d chunks, want %d", tc.size, len(ms), tc.chunks)
		}
	}
}

func TestChunkerEmpty(t *testing.T) {
	c := NewChunker(chunkTemplate(t, "text/plain"), nil, ChunkConfig{})
	var m Message
	if !c.Next(&m) || m.ByteRange != (ByteRange{1, 0, 0}) || m.Flag != FlagEnd || len(m.Body) != 0 || c.Next(&m) {
		t.Fatalf("empty message: %+v", m)
	}
	got, err := readOne(t, wire(t, &m))
	if err != nil || !got.HasBody() || len(got.Body) != 0 {
		t.Fatalf("re-read: %v %+v", err, got)
	}
}

// Text is cut only between characters: the field bug of peers that split
// a multi-byte UTF-8 sequence across chunks.
func TestChunkerUTF8(t *testing.T) {
	alphabet := []string{"a", "é", "€", "𝄞", "\r\n", "\uFFFD"}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		var sb strings.Builder
		for sb.Len() < rng.IntN(400) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		body := []byte(sb.String())
		size := 4 + rng.IntN(20)
		for _, ct := range []string{"text/plain; charset=utf-8", "application/im-iscomposing+xml"} {
			ms := collect(t, NewChunker(chunkTemplate(t, ct), body, ChunkConfig{Size: size}), body, size)
			for i, m := range ms {
				if !utf8.Valid(m.Body) {
					t.Fatalf("%s size %d: chunk %d splits a character: %q", ct, size, i, m.Body)
				}
			}
			if !bytes.Equal(join(ms), body) {
				t.Fatal("chunks do not add up to the body")
			}
		}
	}
	// Binary bodies are cut at exactly the size.
	body := []byte(strings.Repeat("é", 10))
	ms := collect(t, NewChunker(chunkTemplate(t, "image/png"), body, ChunkConfig{Size: 5}), body, 5)
	if len(ms[0].Body) != 5 {
		t.Fatalf("binary chunk of %d octets", len(ms[0].Body))
	}
}

func TestIsText(t *testing.T) {
	cpim := func(inner string) []byte {
		return crlf([]byte("From: <sip:a@example.com>\nTo: <sip:b@example.com>\n\nContent-Type: " + inner + "\n\nbody"))
	}
	for _, tt := range []struct {
		ct   string
		body []byte
		want bool
	}{
		{"text/plain", nil, true}, {"Text/HTML; charset=utf-8", nil, true},
		{"application/xhtml+xml", nil, true}, {"application/xml", nil, true},
		{"message/cpim", cpim("text/plain;charset=utf-8"), true},
		{"message/cpim", cpim("image/png"), false},
		{"message/cpim", []byte("garbage"), true},
		{"image/png", nil, false}, {"application/octet-stream", nil, false}, {"", nil, false},
	} {
		if got := IsText(tt.ct, tt.body); got != tt.want {
			t.Errorf("IsText(%q, %q) = %v", tt.ct, tt.body, got)
		}
	}
}

// A sender interrupts a chunk (RFC 4975 §5.1) at a character boundary;
// the next chunk resumes from there.
func TestChunkerInterrupt(t *testing.T) {
	body := []byte(strings.Repeat("€", 2000)) // 6000 octets, 3 per character
	c := NewChunker(chunkTemplate(t, "text/plain"), body, ChunkConfig{Size: 4096})
	var m Message
	var got []byte
	var chunks int
	for c.Next(&m) {
		chunks++
		if chunks > 10 {
			t.Fatal("no progress")
		}
		if (m.ByteRange.End == Unknown) != (len(m.Body) > InterruptibleSize) {
			t.Fatalf("chunk of %d octets: Byte-Range %v", len(m.Body), m.ByteRange)
		}
		if chunks == 1 {
			cut := c.CutPoint(1000) // not a character boundary: 1000 = 3*333+1
			if cut != 999 {
				t.Fatalf("CutPoint(1000) = %d", cut)
			}
			got = append(got, m.Body[:cut]...)
			c.Interrupted(cut)
			continue
		}
		got = append(got, m.Body...)
	}
	if !bytes.Equal(got, body) || chunks != 3 {
		t.Fatalf("%d chunks; body equal %v", chunks, bytes.Equal(got, body))
	}
	if c.CutPoint(-1) != 0 {
		t.Fatal("CutPoint(-1)")
	}
}

// A transaction id whose end-line occurs in the chunk body is replaced
// (RFC 4975 §7.1).
func TestChunkerAvoidsEndLineInBody(t *testing.T) {
	ids := []string{"abcd", "abcd", "wxyz"}
	c := NewChunker(chunkTemplate(t, "text/plain"), []byte("x\r\n-------abcd$\r\n"), ChunkConfig{NewTID: func() string {
		id := ids[0]
		ids = ids[1:]
		return id
	}})
	var m Message
	if !c.Next(&m) || m.TransactionID != "wxyz" {
		t.Fatalf("tid %q", m.TransactionID)
	}
}

// Appending to a chunk's slices never changes the template.
func TestChunkerTemplateIsolation(t *testing.T) {
	tmpl := chunkTemplate(t, "text/plain")
	tmpl.ToPath = append(make(Path, 0, 4), tmpl.ToPath...)
	c := NewChunker(tmpl, []byte("hello"), ChunkConfig{})
	var m Message
	c.Next(&m)
	m.ToPath = append(m.ToPath, mustURI(t, "msrp://evil.example.com:1/x;tcp"))
	var resp Message
	if err := resp.InitResponse(&m, 200, ""); err != nil {
		t.Fatal(err)
	}
	if len(tmpl.ToPath) != 1 || tmpl.ToPath[:2][1].Host == "evil.example.com" {
		t.Fatal("template changed")
	}
}
