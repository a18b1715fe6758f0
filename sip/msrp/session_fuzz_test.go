package msrp

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// FuzzConnInput feeds arbitrary bytes to an accepted connection of an
// Endpoint with one passive session: "TO" and "FROM" in the input stand
// for the session's URI and its peer's, so that frames reach the session
// logic. Whatever comes, nothing may panic, every goroutine must end on
// Close, and the reassembly memory must all come back.
func FuzzConnInput(f *testing.F) {
	for _, seed := range []string{
		"MSRP a SEND\r\nTo-Path: TO\r\nFrom-Path: FROM\r\nMessage-ID: m\r\n-------a$\r\n",
		"MSRP a SEND\r\nTo-Path: TO\r\nFrom-Path: FROM\r\nMessage-ID: m\r\nByte-Range: 1-5/10\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------a+\r\n" +
			"MSRP b SEND\r\nTo-Path: TO\r\nFrom-Path: FROM\r\nMessage-ID: m\r\nByte-Range: 6-10/10\r\nContent-Type: text/plain\r\n\r\nworld\r\n-------b$\r\n",
		"MSRP a SEND\r\nTo-Path: TO\r\nFrom-Path: FROM\r\nMessage-ID: m\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain\r\n\r\nabc\r\n-------a#\r\n",
		"MSRP r REPORT\r\nTo-Path: TO\r\nFrom-Path: FROM\r\nMessage-ID: m\r\nStatus: 000 413 x\r\n-------r$\r\n",
		"MSRP x 200 OK\r\nTo-Path: TO\r\nFrom-Path: FROM\r\n-------x$\r\n",
		"MSRP n NICKNAME\r\nTo-Path: TO\r\nFrom-Path: FROM\r\nUse-Nickname: \"x\"\r\n-------n$\r\n",
		"MSRP a SEND\r\nTo-Path: msrp://h:1/other;tcp\r\nFrom-Path: FROM\r\n-------a$\r\n",
		"MSRP a SEND\r\nTo-Path: TO\r\nFrom-Path: msrp://h:1/stranger;tcp\r\n-------a$\r\n",
		"garbage\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := NewEndpoint(EndpointOptions{Listen: "127.0.0.1:2855", MaxMessage: 4096, SessionBytes: 8192,
			ConnectTimeout: time.Second, TransactionTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s := e.NewSession(nil, []string{"text/*"})
		peer := Path{mustURI(t, "msrp://127.0.0.1:9/fuzzpeer;tcp")}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		connected := make(chan error, 1)
		go func() { connected <- s.Connect(ctx, peer, false) }()

		ours, theirs := net.Pipe()
		if !e.startConn(newConn(e, ours, "", true)) {
			t.Fatal("startConn refused")
		}
		drained := make(chan struct{})
		go func() { // net.Pipe is synchronous: take every answer
			_, _ = io.Copy(io.Discard, theirs)
			close(drained)
		}()
		input := bytes.ReplaceAll(data, []byte("TO"), []byte(s.LocalPath().String()))
		input = bytes.ReplaceAll(input, []byte("FROM"), []byte(peer.String()))
		_ = theirs.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_, _ = theirs.Write(input)

		if err := e.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		theirs.Close()
		<-drained
		<-connected
		if used := e.budget.Used(); used != 0 {
			t.Fatalf("%d octets of reassembly memory not given back", used)
		}
	})
}
