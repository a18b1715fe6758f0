package msrp

import (
	"strings"
	"sync"
	"testing"
)

// roomRecorder is a recorder that also takes NICKNAME (RFC 7701 §7.1):
// "taken" is in use, "admin" forbidden, anything else accepted.
type roomRecorder struct {
	*recorder
	mu    sync.Mutex
	nicks []string
}

func (r *roomRecorder) MSRPNickname(_ *Session, nick string) int {
	r.mu.Lock()
	r.nicks = append(r.nicks, nick)
	r.mu.Unlock()
	switch nick {
	case "taken":
		return StatusNicknameInUse
	case "admin":
		return StatusForbidden
	case "weird":
		return 42 // out of range: sent as 403
	}
	return StatusOK
}

func (r *roomRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.nicks...)
}

// TestNicknameDispatch: a session whose handler takes NICKNAME answers
// with the handler's status (RFC 7701 §7.1, §9.2), in order with the
// session's messages; malformed or missing Use-Nickname gets 424 without
// the handler.
func TestNicknameDispatch(t *testing.T) {
	leakCheck(t)
	b := startEndpoint(t, EndpointOptions{})
	hr := &roomRecorder{recorder: newRecorder()}
	sb := b.NewSession(hr, []string{"message/cpim"})
	p := dialRaw(t, b.Addr())
	to, from := sb.LocalPath().String(), p.uri.String()
	errc := make(chan error, 1)
	go func() { errc <- sb.Connect(ctxT(t), p.path(), false) }()
	p.writeMsg(p.sendTo(sb.LocalPath(), "bind", "", ""))
	p.expect("bind", StatusOK)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	nick := func(tid, header string) string {
		return "MSRP " + tid + " NICKNAME\nTo-Path: " + to + "\nFrom-Path: " + from + "\n" + header + "-------" + tid + "$\n"
	}
	for _, tc := range []struct {
		name, tid, header string
		code              int
	}{
		{"in use", "n1", "Use-Nickname: \"taken\"\n", StatusNicknameInUse},
		{"accepted", "n2", "Use-Nickname: \"Alice in Wonderland\"\n", StatusOK},
		{"removed", "n3", "Use-Nickname: \"\"\n", StatusOK},
		{"forbidden", "n4", "Use-Nickname: \"admin\"\n", StatusForbidden},
		{"out of range", "n5", "Use-Nickname: \"weird\"\n", StatusForbidden},
		{"malformed", "n6", "Use-Nickname: Alice\n", StatusMalformedNickname},
		{"too long", "n7", "Use-Nickname: \"" + strings.Repeat("n", 1024) + "\"\n", StatusMalformedNickname},
		{"missing", "n8", "", StatusMalformedNickname},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.write(nick(tc.tid, tc.header))
			m := p.expect(tc.tid, tc.code)
			// RFC 4975 §7.2: a non-SEND response goes back along the
			// whole From-Path, from the receiving node.
			if !m.ToPath.Equal(p.path()) || !m.FromPath.Equal(sb.LocalPath()) {
				t.Fatalf("response paths %v <- %v", m.ToPath, m.FromPath)
			}
		})
	}
	if got, want := strings.Join(hr.seen(), "|"), "taken|Alice in Wonderland||admin|weird"; got != want {
		t.Errorf("handler saw %q, want %q", got, want)
	}

	// Order: a NICKNAME then a SEND reach the handler in that order.
	p.write(nick("n9", "Use-Nickname: \"last\"\n"))
	p.writeMsg(p.sendTo(sb.LocalPath(), "s1", "message/cpim", "after the nick"))
	// The SEND's 200 comes from the reader, the NICKNAME's from the
	// session's goroutine: either may be written first.
	got := map[string]int{}
	for range 2 {
		m := p.read()
		got[m.TransactionID] = m.Code
	}
	if got["n9"] != StatusOK || got["s1"] != StatusOK {
		t.Fatalf("responses %v", got)
	}
	if m := hr.message(t); string(m.Body) != "after the nick" {
		t.Fatalf("delivered %q", m.Body)
	}
	if s := hr.seen(); s[len(s)-1] != "last" {
		t.Fatalf("nick not seen before the message: %q", s)
	}
	if got := b.counter(t, "sxgw_msrp_rejected_requests_total", "425"); got != 1 {
		t.Errorf("425 counted %v times", got)
	}
	if got := b.counter(t, "sxgw_msrp_rejected_requests_total", "424"); got != 3 {
		t.Errorf("424 counted %v times", got)
	}
	if got := b.counter(t, "sxgw_msrp_rejected_requests_total", "501"); got != 0 {
		t.Errorf("501 counted %v times", got)
	}
}
