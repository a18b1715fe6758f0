package msrp

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultTransactionTimeout is how long a sender waits for the response
// to a SEND with Failure-Report "yes" (RFC 4975 §7.1.1: 30 seconds).
const DefaultTransactionTimeout = 30 * time.Second

// StatusError is an error status received for a message we sent: in a
// transaction response, in a failure REPORT (RFC 4975 §7.3.2: read like
// a response), or 408 when no response came in time (RFC 4975 §7.1.1,
// §10.4).
type StatusError struct {
	Code    int
	Comment string
}

func (e *StatusError) Error() string {
	if e.Comment == "" {
		return fmt.Sprintf("msrp: status %d", e.Code)
	}
	return fmt.Sprintf("msrp: status %d %s", e.Code, e.Comment)
}

// sendOp is one message being sent: the transactions of its chunks and
// their outcome.
type sendOp struct {
	s    *Session
	id   string        // Message-ID
	done chan struct{} // closed when the outcome is known

	mu       sync.Mutex
	tids     []string // transactions registered on the connection
	awaiting int      // 200 responses still expected
	queued   bool     // every chunk is queued
	finished bool
	err      error
}

func newSendOp(s *Session, id string) *sendOp {
	return &sendOp{s: s, id: id, done: make(chan struct{})}
}

// expect records transaction tid; wantOK: its 200 is awaited
// (Failure-Report "yes"; with "partial" only errors come back).
func (op *sendOp) expect(tid string, wantOK bool) {
	op.mu.Lock()
	op.tids = append(op.tids, tid)
	if wantOK {
		op.awaiting++
	}
	op.mu.Unlock()
}

// response takes the response to one of the transactions.
func (op *sendOp) response(code int, comment string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.finished {
		return
	}
	if code == StatusOK {
		if op.awaiting > 0 {
			op.awaiting--
		}
		if op.queued && op.awaiting == 0 {
			op.finishLocked(nil)
		}
		return
	}
	// RFC 4975 §10.5: after a 413 no further chunk of the message; any
	// other error fails the message the same way.
	op.finishLocked(&StatusError{Code: code, Comment: comment})
}

func (op *sendOp) allQueued() {
	op.mu.Lock()
	op.queued = true
	if op.awaiting == 0 {
		op.finishLocked(nil)
	}
	op.mu.Unlock()
}

func (op *sendOp) finish(err error) {
	op.mu.Lock()
	op.finishLocked(err)
	op.mu.Unlock()
}

func (op *sendOp) finishLocked(err error) {
	if op.finished {
		return
	}
	op.finished, op.err = true, err
	close(op.done)
}

func (op *sendOp) result() error {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.err
}

func (op *sendOp) isFinished() bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.finished
}

// await waits for the outcome of op: when wait is set, for every 200,
// at most the transaction timeout after the last chunk was queued (RFC
// 4975 §7.1.1), then 408.
func (s *Session) await(ctx context.Context, op *sendOp, wait bool) error {
	if wait {
		t := time.NewTimer(s.e.o.TransactionTimeout)
		defer t.Stop()
		select {
		case <-op.done:
		case <-t.C:
			op.finish(&StatusError{Code: StatusTimeout, Comment: StatusText(StatusTimeout)})
		case <-ctx.Done():
			op.finish(fmt.Errorf("msrp: waiting for a response: %w", ctx.Err()))
		case <-s.dead:
			op.finish(ErrSessionClosed)
		}
	}
	return op.result()
}

// parseFailureReport maps the Failure-Report argument of Send.
func parseFailureReport(v string) (ReportMode, error) {
	switch v {
	case "":
		return ReportUnset, nil // absent means "yes" (RFC 4975 §7.1.1)
	case "yes":
		return ReportYes, nil
	case "no":
		return ReportNo, nil
	case "partial":
		return ReportPartial, nil
	}
	return 0, fmt.Errorf("msrp: send: %w: Failure-Report %q", ErrInvalid, v)
}

// Send sends one message, in chunks of the endpoint's ChunkSize (RFC
// 4975 §7.1.1; text is cut between characters), and returns its
// Message-ID. The chunks are pipelined: Send does not wait for one
// response before sending the next chunk.
//
// With failureReport "" or "yes", Send returns once every chunk got its
// 200, or the first error as a *StatusError (a response, a failure
// REPORT, or 408 after the transaction timeout); an error stops the
// message (RFC 4975 §10.5). With "partial" or "no" it returns once the
// chunks are queued, with an error response only if one came meanwhile.
// successReport asks the peer for a success REPORT (Success-Report: yes),
// delivered to the handler's MSRPReport.
func (s *Session) Send(ctx context.Context, contentType string, body []byte, successReport bool, failureReport string) (string, error) {
	return s.SendMessage(ctx, contentType, body, SendOptions{SuccessReport: successReport, FailureReport: failureReport})
}

// SendOptions are the optional parts of a message sent with SendMessage.
type SendOptions struct {
	// MessageID is the message's Message-ID; "" picks a fresh one
	// (NewMessageID). A caller that must know it before the first chunk
	// goes (to match a REPORT that may come before SendMessage returns)
	// sets it: an ident (RFC 4975 §9) unique among the session's messages
	// (§7.1.1), such as NewMessageID returns.
	MessageID string
	// SuccessReport asks for a success REPORT (Success-Report: yes,
	// RFC 4975 §7.1.1), delivered to the handler's MSRPReport.
	SuccessReport bool
	// FailureReport is the Failure-Report value: "" (absent, meaning
	// "yes"), "yes", "partial" or "no" (RFC 4975 §7.1.1); see Send.
	FailureReport string
}

// SendMessage is Send with its options in o, the Message-ID among them.
func (s *Session) SendMessage(ctx context.Context, contentType string, body []byte, o SendOptions) (string, error) {
	fr, err := parseFailureReport(o.FailureReport)
	if err != nil {
		return "", err
	}
	if contentType == "" {
		// RFC 4975 §7.1: a request with a body MUST have a Content-Type.
		return "", fmt.Errorf("msrp: send: %w: no Content-Type", ErrInvalid)
	}
	id := o.MessageID
	if id == "" {
		id = NewMessageID()
	} else if !validIdent(id, maxIdentLen) {
		return "", fmt.Errorf("msrp: send: %w: bad Message-ID %q", ErrInvalid, id)
	}
	c, remote, op, err := s.begin(id)
	if err != nil {
		return "", err
	}
	defer s.finishOp(c, op)

	tmpl := Message{
		Method:        MethodSEND,
		ToPath:        remote,
		FromPath:      s.local,
		MessageID:     id,
		FailureReport: fr,
		ContentType:   contentType,
	}
	if o.SuccessReport {
		tmpl.SuccessReport = ReportYes
	}
	wantOK := fr == ReportUnset || fr == ReportYes
	ch := NewChunker(&tmpl, body, ChunkConfig{Size: s.e.o.ChunkSize})
	var m Message
	for ch.Next(&m) {
		if op.isFinished() {
			break // refused or failed: no further chunk (RFC 4975 §10.5)
		}
		// RFC 4975 §7.1.4: with "no", no response comes; nothing to track.
		if fr != ReportNo {
			op.expect(m.TransactionID, wantOK)
			if err := c.register(m.TransactionID, op); err != nil {
				return "", err
			}
		}
		if err := c.queueData(ctx, &m, op.done); err != nil {
			if e := op.result(); e != nil {
				return "", e
			}
			if ctx.Err() != nil {
				return "", fmt.Errorf("msrp: send: %w", err)
			}
			return "", err
		}
	}
	op.allQueued()
	if err := s.await(ctx, op, wantOK); err != nil {
		return "", err
	}
	s.touch()
	s.e.met.messages.WithLabelValues(dirOut).Inc()
	s.e.met.bytes.WithLabelValues(dirOut).Add(float64(len(body)))
	return id, nil
}

// begin registers a message being sent and returns the session's
// connection and remote path.
func (s *Session) begin(id string) (*conn, Path, *sendOp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, nil, nil, ErrSessionClosed
	case s.conn == nil:
		return nil, nil, nil, ErrNotConnected
	}
	op := newSendOp(s, id)
	if s.sending == nil {
		s.sending = make(map[string]*sendOp)
	}
	s.sending[id] = op
	s.sentIDs.add(id)
	return s.conn, s.remote, op, nil
}

func (s *Session) finishOp(c *conn, op *sendOp) {
	s.mu.Lock()
	if s.sending[op.id] == op {
		delete(s.sending, op.id)
	}
	s.mu.Unlock()
	op.mu.Lock()
	tids := op.tids
	op.mu.Unlock()
	c.unregister(tids)
}

// Report sends a REPORT about m, a message delivered to MSRPMessage
// (RFC 4975 §7.1.2-§7.1.4): code 200 for a success report, an error
// status for a failure report. It sends exactly what m's report header
// fields ask for (Decide, PhaseDelivery): nothing for a success unless
// Success-Report is "yes", nothing for a failure when Failure-Report is
// "no"; Byte-Range 1-N/N counts the octets of the whole message. The
// REPORT is queued ahead of SEND chunks; Report does not wait for it to
// be written.
func (s *Session) Report(ctx context.Context, m *Message, code int) error {
	if m == nil {
		return fmt.Errorf("msrp: report: %w: no message", ErrInvalid)
	}
	return s.report(ctx, m, int64(len(m.Body)), code)
}

// report sends the REPORT about m, whose body had n octets.
func (s *Session) report(ctx context.Context, m *Message, n int64, code int) error {
	r := Decide(m, PhaseDelivery, code)
	if r.Report == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("msrp: report: %w", err)
	}
	s.mu.Lock()
	c, closed := s.conn, s.closed
	s.mu.Unlock()
	switch {
	case closed:
		// RFC 4975 §7.1.2: SHOULD NOT send a REPORT for a session that
		// is no longer valid.
		return ErrSessionClosed
	case c == nil:
		return ErrNotConnected
	}
	var rep Message
	if err := rep.initReport(m, n, NewTransactionID(), r.Report, ""); err != nil {
		return fmt.Errorf("msrp: report: %w", err)
	}
	if err := c.queueCtrl(&rep); err != nil {
		return fmt.Errorf("msrp: report: %w", err)
	}
	if r.Report != StatusOK {
		s.e.met.reportFails.WithLabelValues(dirSent).Inc()
	}
	s.touch()
	return nil
}
