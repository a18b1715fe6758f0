package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// c2sSink is an XMPP client logged in to Prosody that records every
// benchmark message it receives. It negotiates the session (RFC 6120 §5
// STARTTLS, §6 SASL PLAIN, §7 resource binding) with a minimal exchange of
// its own, then only scans the stream for message bodies: a full XML
// parser per stanza would make the sink, not Prosody, the bottleneck.
type c2sSink struct {
	conn net.Conn
	done chan error
}

// negotiationTimeout bounds the whole login.
const negotiationTimeout = 15 * time.Second

// dialSink logs user in at addr (Prosody's c2s listener), sends initial
// presence (RFC 6121 §4.2) so that messages to the bare JID are delivered,
// and records arrivals into rec until Close.
func dialSink(ctx context.Context, addr, domain, user, password string, rec *recorder) (*c2sSink, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("msgbench: c2s: %w", err)
	}
	_ = raw.SetDeadline(time.Now().Add(negotiationTimeout))
	conn, err := negotiate(raw, domain, user, password)
	if err != nil {
		raw.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	s := &c2sSink{conn: conn, done: make(chan error, 1)}
	go func() { s.done <- scanBodies(conn, rec) }()
	return s, nil
}

// Close ends the stream and waits for the reader.
func (s *c2sSink) Close() error {
	_, _ = io.WriteString(s.conn, "</stream:stream>")
	_ = s.conn.Close()
	err := <-s.done
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// negotiate runs the client side of stream negotiation and returns the
// TLS connection with a bound resource and initial presence sent.
func negotiate(raw net.Conn, domain, user, password string) (net.Conn, error) {
	header := "<?xml version='1.0'?><stream:stream to='" + domain +
		"' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	// Before TLS, read byte by byte so that nothing of the TLS handshake
	// ends up in a buffer.
	r := &expecter{r: raw}
	if err := r.send(raw, header); err != nil {
		return nil, err
	}
	if _, err := r.until("</stream:features>"); err != nil {
		return nil, err
	}
	if err := r.send(raw, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
		return nil, err
	}
	got, err := r.untilAny("<proceed", "<failure")
	if err != nil {
		return nil, err
	}
	if !strings.Contains(got, "<proceed") {
		return nil, errors.New("msgbench: c2s: STARTTLS refused")
	}
	if _, err := r.until(">"); err != nil {
		return nil, err
	}
	// A test server with a self-signed certificate: nothing to verify.
	tc := tls.Client(raw, &tls.Config{ServerName: domain, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("msgbench: c2s TLS: %w", err)
	}
	r = &expecter{r: tc}
	if err := r.send(tc, header); err != nil {
		return nil, err
	}
	if _, err := r.until("</stream:features>"); err != nil {
		return nil, err
	}
	// RFC 4616: authzid NUL authcid NUL password.
	cred := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := r.send(tc, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"+cred+"</auth>"); err != nil {
		return nil, err
	}
	if got, err = r.untilAny("<success", "<failure"); err != nil {
		return nil, err
	}
	if !strings.Contains(got, "<success") {
		return nil, errors.New("msgbench: c2s: authentication failed")
	}
	if err := r.send(tc, header); err != nil {
		return nil, err
	}
	if _, err := r.until("</stream:features>"); err != nil {
		return nil, err
	}
	if err := r.send(tc, "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource></bind></iq>"); err != nil {
		return nil, err
	}
	if got, err = r.until("</iq>"); err != nil {
		return nil, err
	}
	if !strings.Contains(got, "type='result'") && !strings.Contains(got, `type="result"`) {
		return nil, fmt.Errorf("msgbench: c2s: bind failed: %s", got)
	}
	if err := r.send(tc, "<presence/>"); err != nil {
		return nil, err
	}
	return tc, nil
}

// expecter reads a stream one byte at a time until a marker shows up.
type expecter struct {
	r   io.Reader
	buf []byte
}

func (x *expecter) send(w io.Writer, s string) error {
	if _, err := io.WriteString(w, s); err != nil {
		return fmt.Errorf("msgbench: c2s write: %w", err)
	}
	return nil
}

// until returns what was read up to and including marker.
func (x *expecter) until(marker string) (string, error) { return x.untilAny(marker) }

// untilAny returns what was read up to and including the first of markers.
func (x *expecter) untilAny(markers ...string) (string, error) {
	var one [1]byte
	for len(x.buf) < 1<<20 {
		if _, err := io.ReadFull(x.r, one[:]); err != nil {
			return "", fmt.Errorf("msgbench: c2s read (waiting for %q, got %q): %w", markers, x.buf, err)
		}
		x.buf = append(x.buf, one[0])
		for _, m := range markers {
			if bytes.HasSuffix(x.buf, []byte(m)) {
				s := string(x.buf)
				x.buf = x.buf[:0]
				return s, nil
			}
		}
	}
	return "", errors.New("msgbench: c2s: negotiation too long")
}

// scanBodies reads the stream until it ends and records every character
// data run that is a benchmark body. Bodies hold only ASCII digits,
// letters and spaces, so no entity decoding is needed.
func scanBodies(r io.Reader, rec *recorder) error {
	br := bufio.NewReaderSize(r, 256<<10)
	marker := []byte(bodyMarker + " ")
	for {
		chunk, err := br.ReadSlice('<')
		if i := bytes.LastIndex(chunk, marker); i >= 0 {
			text := chunk[i:]
			text = bytes.TrimSuffix(text, []byte("<"))
			now := time.Now().UnixMicro()
			if step, n, sent, perr := parseBody(string(text)); perr == nil {
				rec.add(step, n, sent, now)
			} else {
				rec.addBad()
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}
