package msrp

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// chunksOf cuts body into SENDs of size octets with the given Message-ID.
func chunksOf(t *testing.T, id string, body []byte, size int, ct string) []*Message {
	t.Helper()
	tmpl := chunkTemplate(t, ct)
	tmpl.MessageID = id
	c := NewChunker(tmpl, body, ChunkConfig{Size: size})
	var out []*Message
	for {
		m := new(Message)
		if !c.Next(m) {
			return out
		}
		out = append(out, m)
	}
}

func TestReassembleOrders(t *testing.T) {
	body := bytes.Repeat([]byte("abcdefghij"), 1000)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, order := range []string{"in order", "reversed", "shuffled", "duplicated and overlapping"} {
		t.Run(order, func(t *testing.T) {
			chunks := chunksOf(t, "m1", body, 2048, "text/plain")
			switch order {
			case "reversed":
				for i, j := 0, len(chunks)-1; i < j; i, j = i+1, j-1 {
					chunks[i], chunks[j] = chunks[j], chunks[i]
				}
			case "shuffled":
				rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
			case "duplicated and overlapping":
				extra := *chunks[1]
				extra.ByteRange.Start -= 100
				extra.Body = body[extra.ByteRange.Start-1 : extra.ByteRange.Start-1+3000]
				extra.Flag = FlagMore
				chunks = append([]*Message{chunks[0], chunks[0], &extra}, chunks[1:]...)
			}
			budget := NewBudget(1 << 20)
			r := NewReassembler(ReassemblyConfig{MaxBytes: 1 << 20}, budget)
			var done *Message
			for i, c := range chunks {
				a, err := r.Add(c)
				if err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				if a.Complete != (i == len(chunks)-1) {
					t.Fatalf("chunk %d of %d: complete %v", i, len(chunks), a.Complete)
				}
				if a.Complete {
					done = a.Message
				} else if r.Used() > 1<<20 || budget.Used() != r.Used() {
					t.Fatalf("memory: session %d budget %d", r.Used(), budget.Used())
				}
			}
			if !bytes.Equal(done.Body, body) || done.ByteRange != (ByteRange{1, 10000, 10000}) || done.Flag != FlagEnd {
				t.Fatalf("reassembled %d octets, range %v", len(done.Body), done.ByteRange)
			}
			if done.MessageID != "m1" || done.ContentType != "text/plain" || !done.WantsSuccessReport() {
				t.Fatalf("headers of the first chunk lost: %+v", done)
			}
			if r.Used() != 0 || budget.Used() != 0 || r.Pending() != 0 {
				t.Fatalf("memory kept after completion: %d %d", r.Used(), budget.Used())
			}
		})
	}
}

// RFC 4975 §11.4: the two chunks of a message/cpim message. The RFC's
// total (148) is one more than the octets sent (137 + 10); the "$" chunk
// fixes the length.
func TestReassembleRFC4975Figures14And15(t *testing.T) {
	c1, err := readOne(t, vector(t, "rfc4975-11.4-fig14-chunk1.msrp"))
	if err != nil {
		t.Fatal(err)
	}
	c1 = c1.Clone()
	c2, err := readOne(t, vector(t, "rfc4975-11.4-fig15-chunk2.msrp"))
	if err != nil {
		t.Fatal(err)
	}
	r := NewReassembler(ReassemblyConfig{}, nil)
	if a, err := r.Add(c2); err != nil || a.Complete || a.Received != 10 {
		t.Fatalf("second chunk first: %+v %v", a, err)
	}
	a, err := r.Add(c1)
	if err != nil || !a.Complete {
		t.Fatalf("%+v %v", a, err)
	}
	if want := string(c1.Body) + "1234567890"; string(a.Message.Body) != want || a.Message.TransactionID != "d93kswow" {
		t.Fatalf("body %q", a.Message.Body)
	}
}

func TestReassembleSingleChunk(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{MaxMessageSize: 100}, nil)
	m := testSend(t, "abcd", "hello")
	m.ByteRange = ByteRange{1, 3, 3} // a peer counting wrong: the body decides
	a, err := r.Add(m)
	if err != nil || !a.Complete || a.Message != m || a.Received != 5 || r.Used() != 0 {
		t.Fatalf("%+v %v", a, err)
	}
	// A bodiless SEND binding the connection (RFC 4975 §5.4).
	bind := testSend(t, "abcd", "")
	bind.ContentType, bind.ByteRange = "", ByteRange{}
	if a, err := r.Add(bind); err != nil || !a.Complete || a.Message.HasBody() {
		t.Fatalf("bodiless: %+v %v", a, err)
	}
}

func TestReassembleAbort(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 5000)
	chunks := chunksOf(t, "m1", body, 2048, "text/plain")
	budget := NewBudget(1 << 20)
	r := NewReassembler(ReassemblyConfig{}, budget)
	if _, err := r.Add(chunks[0]); err != nil {
		t.Fatal(err)
	}
	abort := *chunks[1]
	abort.Flag, abort.Body = FlagAbort, abort.Body[:10]
	a, err := r.Add(&abort)
	if err != nil || !a.Aborted || a.Received != 2048 || a.Message == nil || a.Message.ByteRange.Start != 1 {
		t.Fatalf("%+v %v", a, err)
	}
	if r.Pending() != 0 || r.Used() != 0 || budget.Used() != 0 {
		t.Fatal("aborted message kept")
	}
	// "#" on a message never seen.
	if a, err := r.Add(&abort); err != nil || !a.Aborted || a.Received != 0 {
		t.Fatalf("%+v %v", a, err)
	}
}

// Total unknown ("*"): the buffer grows; the "$" chunk sets the length.
func TestReassembleUnknownTotal(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 700)
	chunks := chunksOf(t, "m1", body, 1000, "application/octet-stream")
	for _, c := range chunks {
		c.ByteRange.Total, c.ByteRange.End = Unknown, Unknown
	}
	r := NewReassembler(ReassemblyConfig{}, nil)
	for i := len(chunks) - 1; i >= 0; i-- { // "$" first
		a, err := r.Add(chunks[i])
		if err != nil {
			t.Fatal(err)
		}
		if a.Complete != (i == 0) {
			t.Fatalf("chunk %d complete %v", i, a.Complete)
		}
		if a.Complete && !bytes.Equal(a.Message.Body, body) {
			t.Fatal("body differs")
		}
	}
}

func TestReassembleBounds(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 10000)
	t.Run("max-size from the declared total (RFC 7573 §8)", func(t *testing.T) {
		r := NewReassembler(ReassemblyConfig{MaxMessageSize: 5000}, nil)
		chunks := chunksOf(t, "m1", body, 2048, "text/plain")
		_, err := r.Add(chunks[0])
		var ce *ChunkError
		if !errors.As(err, &ce) || ce.Code != 413 || ce.MessageID != "m1" || !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%v", err)
		}
		// Later chunks of the refused message: 413 again, nothing buffered.
		if _, err := r.Add(chunks[1]); !errors.As(err, &ce) || ce.Code != 413 || r.Used() != 0 {
			t.Fatalf("%v", err)
		}
		// A single-chunk message over max-size.
		if _, err := r.Add(testSend(t, "abcd", string(body))); !errors.As(err, &ce) || ce.Code != 413 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("session bound", func(t *testing.T) {
		r := NewReassembler(ReassemblyConfig{MaxBytes: 15000}, nil)
		a := chunksOf(t, "a", body, 2048, "text/plain")
		b := chunksOf(t, "b", body, 2048, "text/plain")
		if _, err := r.Add(a[0]); err != nil {
			t.Fatal(err)
		}
		var ce *ChunkError
		if _, err := r.Add(b[0]); !errors.As(err, &ce) || ce.Code != 413 || ce.MessageID != "b" {
			t.Fatalf("%v", err)
		}
		if r.Used() != 10000 {
			t.Fatalf("used %d", r.Used())
		}
	})
	t.Run("global bound", func(t *testing.T) {
		budget := NewBudget(15000)
		r1 := NewReassembler(ReassemblyConfig{}, budget)
		r2 := NewReassembler(ReassemblyConfig{}, budget)
		if _, err := r1.Add(chunksOf(t, "a", body, 2048, "text/plain")[0]); err != nil {
			t.Fatal(err)
		}
		var ce *ChunkError
		if _, err := r2.Add(chunksOf(t, "b", body, 2048, "text/plain")[0]); !errors.As(err, &ce) || ce.Code != 413 {
			t.Fatalf("%v", err)
		}
		r1.Close()
		if budget.Used() != 0 || r1.Pending() != 0 {
			t.Fatalf("Close kept %d", budget.Used())
		}
		if _, err := r2.Add(chunksOf(t, "c", body, 2048, "text/plain")[0]); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a large announced total costs what was received", func(t *testing.T) {
		budget := NewBudget(64 << 20)
		r := NewReassembler(ReassemblyConfig{MaxBytes: 8 << 20}, budget)
		m := testSend(t, "abcd", "x")
		m.ByteRange, m.Flag = ByteRange{1, Unknown, 4 << 20}, FlagMore
		if _, err := r.Add(m); err != nil {
			t.Fatal(err)
		}
		if r.Used() != 64<<10 || budget.Used() != 64<<10 {
			t.Fatalf("one octet received, %d reserved", r.Used())
		}
	})
	t.Run("pending messages", func(t *testing.T) {
		r := NewReassembler(ReassemblyConfig{MaxPending: 2}, nil)
		for i, id := range []string{"a", "b", "c"} {
			_, err := r.Add(chunksOf(t, id, body, 2048, "text/plain")[0])
			if (err != nil) != (i == 2) {
				t.Fatalf("%s: %v", id, err)
			}
		}
	})
}

func TestReassembleInconsistent(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 5000)
	chunks := chunksOf(t, "m1", body, 2048, "text/plain")
	r := NewReassembler(ReassemblyConfig{}, nil)
	if _, err := r.Add(chunks[2]); err != nil { // "$" chunk: length 5000
		t.Fatal(err)
	}
	beyond := *chunks[1]
	beyond.ByteRange = ByteRange{4990, Unknown, Unknown}
	beyond.Body = make([]byte, 20)
	var ce *ChunkError
	if _, err := r.Add(&beyond); !errors.As(err, &ce) || ce.Code != 400 || !errors.Is(err, ErrBadChunk) {
		t.Fatalf("%v", err)
	}
	noID := *chunks[0]
	noID.MessageID = ""
	if _, err := r.Add(&noID); !errors.As(err, &ce) || ce.Code != 400 {
		t.Fatalf("%v", err)
	}
	rep := &Message{Method: MethodREPORT}
	if _, err := r.Add(rep); !errors.Is(err, ErrInvalid) {
		t.Fatalf("%v", err)
	}
}

func TestReassembleSweep(t *testing.T) {
	now := time.Unix(1000, 0)
	r := NewReassembler(ReassemblyConfig{Now: func() time.Time { return now }}, nil)
	chunks := chunksOf(t, "m1", bytes.Repeat([]byte("x"), 5000), 2048, "text/plain")
	if _, err := r.Add(chunks[0]); err != nil {
		t.Fatal(err)
	}
	if n := r.Sweep(time.Minute); n != 0 {
		t.Fatalf("swept %d too early", n)
	}
	now = now.Add(2 * time.Minute)
	if n := r.Sweep(time.Minute); n != 1 || r.Used() != 0 {
		t.Fatalf("swept %d, used %d", n, r.Used())
	}
	r.Drop("absent")
}
