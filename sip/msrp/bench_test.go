package msrp

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// Per-frame costs of the wire layer. The target: >= 50,000 small
// (100-octet) messages/s per core through the parser and the writer.

// loopReader serves the same bytes forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

func send100(b *testing.B) *Message {
	return testSend(b, "d93kswow9a8b7c6d", strings.Repeat("x", 100))
}

func BenchmarkRead100(b *testing.B) {
	frame := wire(b, send100(b))
	r := NewReader(bufio.NewReader(&loopReader{data: frame}), Limits{}, NewBufferPool())
	var m Message
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Read(&m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite100(b *testing.B) {
	m := send100(b)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = m.Append(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// One SEND in, its 200 response out: what a session does per message.
func BenchmarkReadRespond100(b *testing.B) {
	frame := wire(b, send100(b))
	r := NewReader(bufio.NewReader(&loopReader{data: frame}), Limits{}, NewBufferPool())
	var m, resp Message
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Read(&m); err != nil {
			b.Fatal(err)
		}
		if d := Decide(&m, PhaseTransaction, StatusOK); d.Response != 0 {
			if err := resp.InitResponse(&m, d.Response, ""); err != nil {
				b.Fatal(err)
			}
			var err error
			if buf, err = resp.Append(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// A 1 MiB message: chunked, written, read and reassembled.
func BenchmarkChunkReassemble1MiB(b *testing.B) {
	for _, size := range []int{2048, 64 << 10, 1 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
			tmpl := chunkTemplate(b, "application/octet-stream")
			var stream bytes.Buffer
			stream.Grow(len(body) + len(body)/size*300 + 300)
			pool := NewBufferPool()
			budget := NewBudget(64 << 20)
			var m Message
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				stream.Reset()
				c := NewChunker(tmpl, body, ChunkConfig{Size: size})
				buf := stream.AvailableBuffer()
				for c.Next(&m) {
					var err error
					if buf, err = m.Append(buf); err != nil {
						b.Fatal(err)
					}
				}
				stream.Write(buf)
				r := NewReader(bufio.NewReaderSize(&stream, 64<<10), Limits{MaxBody: 2 << 20}, pool)
				re := NewReassembler(ReassemblyConfig{MaxBytes: 2 << 20}, budget)
				for {
					if err := r.Read(&m); err != nil {
						b.Fatal(err)
					}
					a, err := re.Add(&m)
					if err != nil {
						b.Fatal(err)
					}
					if a.Complete {
						if len(a.Message.Body) != len(body) {
							b.Fatal("short")
						}
						break
					}
				}
				r.Release()
			}
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return "chunk=1MiB"
	case n >= 1<<10:
		return "chunk=" + itoa(n>>10) + "KiB"
	}
	return "chunk=" + itoa(n)
}

func itoa(n int) string { return strconv.Itoa(n) }
