package msrp

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Parsers never panic; whatever reads, writes and reads back the same
// (write(read(x)) is a fixed point).

func fuzzVectors(f *testing.F) [][]byte {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.msrp"))
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, crlf(b), b)
	}
	return out
}

func FuzzReader(f *testing.F) {
	vs := fuzzVectors(f)
	for i, v := range vs {
		f.Add(v)
		f.Add(append(append([]byte{}, v...), vs[(i+3)%len(vs)]...))
	}
	f.Add([]byte(lines("MSRP abcd SEND", tp, fp, "Content-Type: text/plain", "", strings.Repeat("z", 300), "-------abcd$") + next))
	f.Add([]byte(lines("MSRP abcd SEND", tp, fp, "X: "+strings.Repeat("h", 600), "-------abcd$") + next))
	f.Add([]byte(lines("MSRP abcd SEND", tp, fp, "Byte-Range: x", "Content-Type: a/b", "", "-------abc$", "-------abcd$") + next))
	pool := NewBufferPool()
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bufio.NewReaderSize(bytes.NewReader(in), 16), Limits{MaxHeaderBytes: 512, MaxBody: 256, MaxDiscard: 2048}, pool)
		for range 64 {
			var m Message
			err := r.Read(&m)
			if err != nil {
				var fe *FrameError
				if !errors.As(err, &fe) || !fe.Recoverable {
					return
				}
				if fe.Code != 0 && (!fe.Request || (fe.Code != 400 && fe.Code != 413)) {
					t.Fatalf("FrameError %+v", fe)
				}
				if fe.TransactionID == "" || fe.TransactionID != m.TransactionID {
					t.Fatalf("FrameError for %q, message %q", fe.TransactionID, m.TransactionID)
				}
				continue
			}
			if len(m.Body) > 256 {
				t.Fatalf("body of %d octets over the bound", len(m.Body))
			}
			out, err := m.Append(nil)
			if err != nil {
				if errors.Is(err, ErrEndLineInBody) {
					continue
				}
				t.Fatalf("Append of a parsed frame: %v\n%+v", err, m)
			}
			again, err := readOne(t, out)
			if err != nil {
				t.Fatalf("re-read: %v\n%q", err, out)
			}
			if !sameMessage(again, &m) {
				t.Fatalf("round trip differs:\n got %+v\nwant %+v\n%q", again, m, out)
			}
			if out2, err := again.Append(nil); err != nil || !bytes.Equal(out, out2) {
				t.Fatalf("second write differs: %v\n%q\n%q", err, out, out2)
			}
			// The answers built from a parsed request can be written.
			if m.IsRequest() {
				var resp Message
				if err := resp.InitResponse(&m, 400, ""); err != nil {
					t.Fatal(err)
				}
				if _, err := resp.Append(nil); err != nil {
					t.Fatalf("response: %v", err)
				}
				if m.Method == MethodSEND {
					if err := resp.InitReport(&m, "rep1", 200, ""); err != nil {
						t.Fatal(err)
					}
					if _, err := resp.Append(nil); err != nil {
						t.Fatalf("report: %v\n%+v", err, resp)
					}
				}
			}
		}
	})
}

// The reassembler, fed the chunks of a random message in a random order,
// with duplicates, overlaps, unknown totals and aborts: memory never
// exceeds either bound, and the message comes back whole exactly when all
// its chunks arrived and none was refused.
func FuzzReassembler(f *testing.F) {
	f.Add(uint64(1), uint16(5000), uint16(2048), uint8(0), uint32(1<<20))
	f.Add(uint64(2), uint16(10000), uint16(100), uint8(0xff), uint32(6000))
	f.Add(uint64(3), uint16(0), uint16(4), uint8(4), uint32(0))
	f.Add(uint64(4), uint16(3000), uint16(7), uint8(1|2), uint32(2500))
	f.Fuzz(func(t *testing.T, seed uint64, n, size uint16, flags uint8, bound uint32) {
		rng := rand.New(rand.NewPCG(seed, uint64(flags)))
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(rng.IntN(256))
		}
		tmpl := chunkTemplate(t, "application/octet-stream")
		tmpl.MessageID = "fz1"
		c := NewChunker(tmpl, body, ChunkConfig{Size: int(size%4096) + 1, NewTID: func() string { return "t1t1" }})
		var chunks []*Message
		for {
			m := new(Message)
			if !c.Next(m) {
				break
			}
			if flags&1 != 0 {
				m.ByteRange.Total = Unknown
			}
			chunks = append(chunks, m)
		}
		if flags&2 != 0 {
			rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		}
		if flags&4 != 0 && len(chunks) > 0 { // a duplicate and an overlap
			dup := *chunks[rng.IntN(len(chunks))]
			dup.Flag = FlagMore
			if s := dup.ByteRange.Start; s > 1 {
				back := rng.Int64N(s-1) + 1
				dup.ByteRange.Start -= back
				dup.Body = body[dup.ByteRange.Start-1 : s-1+int64(len(dup.Body))]
			}
			at := rng.IntN(len(chunks))
			chunks = append(chunks[:at], append([]*Message{&dup}, chunks[at:]...)...)
		}
		abortAt := -1
		if flags&8 != 0 && len(chunks) > 1 {
			abortAt = rng.IntN(len(chunks))
		}
		sessionBound := int64(bound%(1<<21)) + 1
		budget := NewBudget(int64(bound%(1<<20)) + 1)
		r := NewReassembler(ReassemblyConfig{MaxBytes: sessionBound, MaxPending: 2}, budget)
		other := NewReassembler(ReassemblyConfig{}, budget) // shares the budget
		completed, refused, aborted := false, false, false
		for i, ch := range chunks {
			if i == abortAt {
				ab := *ch
				ab.Flag = FlagAbort
				a, err := r.Add(&ab)
				if err == nil && !a.Aborted && !a.Complete {
					t.Fatalf("abort not reported: %+v", a)
				}
				aborted = true
				continue
			}
			a, err := r.Add(ch)
			if err != nil {
				var ce *ChunkError
				if !errors.As(err, &ce) || (ce.Code != 413 && ce.Code != 400) {
					t.Fatalf("Add: %v", err)
				}
				refused = true
			}
			if a.Complete {
				if completed {
					t.Fatal("completed twice")
				}
				completed = true
				if !aborted && !refused && !bytes.Equal(a.Message.Body, body) {
					t.Fatalf("reassembled body differs (%d vs %d octets)", len(a.Message.Body), len(body))
				}
			}
			if r.Used() > sessionBound || budget.Used() > budget.Limit() || budget.Used() != r.Used()+other.Used() {
				t.Fatalf("bounds: session %d/%d budget %d/%d", r.Used(), sessionBound, budget.Used(), budget.Limit())
			}
			if _, err := other.Add(chunksOfFuzz(ch)); err != nil {
				var ce *ChunkError
				if !errors.As(err, &ce) {
					t.Fatalf("other: %v", err)
				}
			}
		}
		if !aborted && !refused && !completed {
			t.Fatalf("all %d chunks of %d octets arrived, message not complete", len(chunks), n)
		}
		r.Close()
		other.Close()
		if budget.Used() != 0 || r.Used() != 0 {
			t.Fatalf("memory after Close: %d %d", budget.Used(), r.Used())
		}
	})
}

// chunksOfFuzz gives the other session a copy of the chunk under another
// Message-ID, so that both compete for the budget.
func chunksOfFuzz(m *Message) *Message {
	c := *m
	c.MessageID = "other"
	return &c
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"msrp://host.example.com:8493/asfd34;tcp", "msrps://[2001:db8::1]:2855/a+b=c/d;tcp;foo=bar",
		"msrp://alice@192.0.2.1:7777/s1;TCP", "MSRP://h%41st.example.com;tcp", "msrp://[::ffff:1.2.3.4]:1/x;tcp",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			return
		}
		if err := u.Validate(); err != nil {
			t.Fatalf("parsed URI does not validate: %v", err)
		}
		again, err := ParseURI(u.String())
		if err != nil || again != u {
			t.Fatalf("round trip: %v %+v %+v", err, again, u)
		}
		if !u.Equal(again) || u.Key() != again.Key() {
			t.Fatal("not equal to itself")
		}
		p, err := ParsePath(s + " " + s)
		if err != nil || len(p) != 2 || !p.Equal(Path{u, u}) {
			t.Fatalf("path: %v %v", p, err)
		}
	})
}

func FuzzNickname(f *testing.F) {
	for _, s := range []string{`"Alice the great"`, `""`, `"a \"b\" \\c"`, `"Zoë"`, `x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m := &Message{UseNickname: raw}
		nick, ok, err := m.Nickname()
		if !ok || err != nil {
			return
		}
		var m2 Message
		if err := m2.SetNickname(nick); err != nil || m2.UseNickname != raw {
			t.Fatalf("SetNickname(%q) = %q %v, want %q", nick, m2.UseNickname, err, raw)
		}
	})
}

// Text chunks add up to the body and, for valid UTF-8, never split a
// character.
func FuzzChunkText(f *testing.F) {
	f.Add([]byte("héllo wörld €𝄞"), uint16(4))
	f.Add([]byte{0xe2, 0x82, 0xac, 0xff, 0xe2, 0x82}, uint16(5))
	f.Fuzz(func(t *testing.T, body []byte, size uint16) {
		c := NewChunker(chunkTemplate(t, "text/plain"), body, ChunkConfig{Size: int(size % 64), NewTID: func() string { return "t1t1" }})
		var got []byte
		valid := utf8.Valid(body)
		for i := 0; ; i++ {
			if i > len(body)+1 {
				t.Fatal("no progress")
			}
			var m Message
			if !c.Next(&m) {
				break
			}
			if valid && !utf8.Valid(m.Body) {
				t.Fatalf("chunk %q splits a character", m.Body)
			}
			got = append(got, m.Body...)
		}
		if !bytes.Equal(got, body) {
			t.Fatal("chunks do not add up")
		}
	})
}
