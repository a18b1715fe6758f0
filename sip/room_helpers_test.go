package sip

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/translate"
)

// roomWait bounds every wait of the room tests.
const roomWait = 5 * time.Second

// chatCore is a ChatInbound (no rooms) that records chats.
type chatCore struct {
	*inviteCore
	mu         sync.Mutex
	chatStarts []translate.SIPChat
	chatMsgs   []translate.SIPMessage
	chatEnds   []string
	signals    map[string]chan string // kind -> ids
}

func newChatCore() *chatCore {
	c := &chatCore{inviteCore: newInviteCore(), signals: map[string]chan string{}}
	for _, k := range []string{"chatstart", "chatmsg", "chatend", "join", "nick", "msg", "leave", "refer"} {
		c.signals[k] = make(chan string, 64)
	}
	return c
}

func (c *chatCore) signal(kind, id string) { c.signals[kind] <- id }

// await returns the id of the next event of kind, failing after
// roomWait.
func (c *chatCore) await(t *testing.T, kind string) string {
	t.Helper()
	select {
	case id := <-c.signals[kind]:
		return id
	case <-time.After(roomWait):
		t.Fatalf("no %s reached the core", kind)
	}
	return ""
}

// none checks that no event of kind comes for a while.
func (c *chatCore) none(t *testing.T, kind string) {
	t.Helper()
	select {
	case id := <-c.signals[kind]:
		t.Fatalf("unexpected %s (%s)", kind, id)
	case <-time.After(300 * time.Millisecond):
	}
}

func (c *chatCore) SIPChatStart(_ context.Context, ch translate.SIPChat) error {
	c.mu.Lock()
	c.chatStarts = append(c.chatStarts, ch)
	c.mu.Unlock()
	c.signal("chatstart", ch.ID)
	return nil
}

func (c *chatCore) SIPChatMessage(_ context.Context, ch translate.SIPChat, m translate.SIPMessage) error {
	c.mu.Lock()
	c.chatMsgs = append(c.chatMsgs, m)
	c.mu.Unlock()
	c.signal("chatmsg", ch.ID)
	return nil
}

func (c *chatCore) SIPChatEnd(_ context.Context, ch translate.SIPChat) {
	c.mu.Lock()
	c.chatEnds = append(c.chatEnds, ch.ID)
	c.mu.Unlock()
	c.signal("chatend", ch.ID)
}

// roomMessage is one SIPRoomMessage call.
type roomMessage struct {
	id string
	m  translate.SIPMessage
}

// roomCore is a ChatInbound and RoomInbound recording what reaches it.
// Nicknames "taken" are in use; onRefer, if set, decides REFERs.
type roomCore struct {
	*chatCore
	joins   []translate.SIPRoomJoin
	nicks   []string // "id nick"
	msgs    []roomMessage
	leaves  []string
	refers  []translate.SIPRefer
	onJoin  func(translate.SIPRoomJoin) error
	onRefer func(translate.SIPRefer) error
}

func newRoomCore() *roomCore { return &roomCore{chatCore: newChatCore()} }

func (c *roomCore) SIPRoomJoin(_ context.Context, j translate.SIPRoomJoin) error {
	c.mu.Lock()
	c.joins = append(c.joins, j)
	f := c.onJoin
	c.mu.Unlock()
	c.signal("join", j.ID)
	if f != nil {
		return f(j)
	}
	return nil
}

func (c *roomCore) SIPRoomNickname(_ context.Context, id, nick string) error {
	c.mu.Lock()
	c.nicks = append(c.nicks, id+" "+nick)
	c.mu.Unlock()
	c.signal("nick", id)
	if nick == "taken" {
		return &StatusError{Code: msrp.StatusNicknameInUse, Reason: "Nickname reserved or already in use"}
	}
	return nil
}

func (c *roomCore) SIPRoomMessage(_ context.Context, id string, m translate.SIPMessage) error {
	c.mu.Lock()
	m.Body = append([]byte(nil), m.Body...)
	c.msgs = append(c.msgs, roomMessage{id, m})
	c.mu.Unlock()
	c.signal("msg", id)
	return nil
}

func (c *roomCore) SIPRoomLeave(_ context.Context, id string) {
	c.mu.Lock()
	c.leaves = append(c.leaves, id)
	c.mu.Unlock()
	c.signal("leave", id)
}

func (c *roomCore) SIPRefer(_ context.Context, r translate.SIPRefer) error {
	c.mu.Lock()
	c.refers = append(c.refers, r)
	f := c.onRefer
	c.mu.Unlock()
	c.signal("refer", r.Target)
	if f != nil {
		return f(r)
	}
	return nil
}

func (c *roomCore) lastJoin() translate.SIPRoomJoin {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joins[len(c.joins)-1]
}

func (c *roomCore) lastMessage() roomMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs[len(c.msgs)-1]
}

func (c *roomCore) lastRefer() translate.SIPRefer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refers[len(c.refers)-1]
}

func (c *roomCore) nickList() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.nicks...)
}

const confDomain = "conference.sip.test"

// startChats starts an endpoint serving chats for in, with an MSRP
// endpoint on loopback; conference is Options.ConferenceDomain.
func startChats(t *testing.T, conference string, in ChatInbound) *Endpoint {
	t.Helper()
	e, _ := startEndpoint(t, Options{Domains: []string{"sip.test"}, ConferenceDomain: conference})
	m, err := msrp.NewEndpoint(msrp.EndpointOptions{Listen: "127.0.0.1:0", Registerer: prometheus.NewRegistry(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), roomWait)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), roomWait)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("MSRP Close: %v", err)
		}
	})
	e.ServeChats(in, m, "127.0.0.1")
	return e
}

// received is a request the peer got and where from.
type received struct {
	req *sipgosip.Request
	src netip.AddrPort
}

// sipPeer is a SIP user agent played by hand over UDP: it writes wire
// requests to the endpoint and keeps the requests it receives while it
// waits for responses.
type sipPeer struct {
	*rawPeer
	t      *testing.T
	target netip.AddrPort
	user   string
	stash  []received
}

func newSIPPeer(t *testing.T, e *Endpoint, user string) *sipPeer {
	return &sipPeer{rawPeer: newRawPeer(t), t: t, target: addrOf(t, e, TransportUDP), user: user}
}

// contact is the peer's Contact URI.
func (p *sipPeer) contact() string { return "sip:" + p.user + "@" + p.addr().String() }

// wire renders a request from the peer: request line, Via with a new
// branch, Max-Forwards, From (with display name and tag), To, Call-ID,
// CSeq, Contact, then headers and body.
func (p *sipPeer) wire(method, ruri, from, to, callID string, cseq int, headers []string, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", method, ruri)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\r\n", p.addr(), msrp.NewTransactionID())
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n", from, to, callID, cseq, method)
	fmt.Fprintf(&b, "Contact: <%s>\r\n", p.contact())
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

func (p *sipPeer) send(msg string) {
	p.t.Helper()
	if _, err := p.c.WriteToUDPAddrPort([]byte(msg), p.target); err != nil {
		p.t.Fatal(err)
	}
}

// response returns the next final response to method, keeping the
// requests that arrive meanwhile.
func (p *sipPeer) response(method string) *sipgosip.Response {
	p.t.Helper()
	deadline := time.Now().Add(roomWait)
	for time.Now().Before(deadline) {
		msg, src := p.read(time.Until(deadline))
		switch m := msg.(type) {
		case *sipgosip.Request:
			p.stash = append(p.stash, received{m, src})
		case *sipgosip.Response:
			if m.StatusCode >= 200 && string(m.CSeq().MethodName) == method {
				return m
			}
		}
	}
	p.t.Fatalf("no final response to %s", method)
	return nil
}

// request returns the next request of method received (retransmissions
// of one already taken are skipped by the caller's matching).
func (p *sipPeer) request(method string) received {
	p.t.Helper()
	for i, r := range p.stash {
		if string(r.req.Method) == method {
			p.stash = append(p.stash[:i], p.stash[i+1:]...)
			return r
		}
	}
	deadline := time.Now().Add(roomWait)
	for time.Now().Before(deadline) {
		msg, src := p.read(time.Until(deadline))
		if req, ok := msg.(*sipgosip.Request); ok {
			if string(req.Method) == method {
				return received{req, src}
			}
			p.stash = append(p.stash, received{req, src})
		}
	}
	p.t.Fatalf("no %s received", method)
	return received{}
}

// noRequest checks that no request of method arrives for a while.
func (p *sipPeer) noRequest(method string) {
	p.t.Helper()
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		msg, _ := p.read(time.Until(deadline))
		if req, ok := msg.(*sipgosip.Request); ok && string(req.Method) == method {
			p.t.Fatalf("unexpected %s:\n%s", method, req)
		}
	}
}

// answer replies to r with code, our Contact and, when given, an SDP
// body.
func (p *sipPeer) answer(r received, code int, sdp string) {
	p.t.Helper()
	err := p.reply(r.req, r.src, code, func(res *sipgosip.Response) {
		if code < 300 {
			res.AppendHeader(&sipgosip.ContactHeader{Address: mustURI(p.t, p.contact())})
		}
		if sdp != "" {
			res.AppendHeader(sipgosip.NewHeader("Content-Type", sdpType))
			res.SetBody([]byte(sdp))
		}
	})
	if err != nil {
		p.t.Fatal(err)
	}
}

// peerSDP is a participant's MSRP offer or answer: it connects
// (a=setup:active) from path, with accept-types types and, if not
// empty, a=chatroom tokens.
func peerSDP(path, types, chatroom string) string {
	s := "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=message 9 TCP/MSRP *\r\na=accept-types:" + types + "\r\na=path:" + path + "\r\na=setup:active\r\n"
	if chatroom != "" {
		s += "a=chatroom:" + chatroom + "\r\n"
	}
	return s
}

// sdpAttrs returns the a= lines of an SDP body.
func sdpAttrs(body []byte) []string {
	var as []string
	for l := range strings.SplitSeq(string(body), "\r\n") {
		if strings.HasPrefix(l, "a=") {
			as = append(as, l)
		}
	}
	return as
}

// msrpPeer is a participant's MSRP side over one TCP connection it dials
// (it answered or offered a=setup:active).
type msrpPeer struct {
	t    *testing.T
	nc   net.Conn
	rd   *msrp.Reader
	self msrp.URI
	to   msrp.Path
}

// dialMSRP connects to the first hop of to, as self, and binds the
// session with a bodiless SEND (RFC 4975 §5.4).
func dialMSRP(t *testing.T, to msrp.Path, self string) *msrpPeer {
	t.Helper()
	u, err := msrp.ParseURI(self)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.DialTimeout("tcp", net.JoinHostPort(to[0].Host, fmt.Sprint(to[0].Port)), roomWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	p := &msrpPeer{t: t, nc: nc, rd: msrp.NewReader(bufio.NewReader(nc), msrp.Limits{}, nil), self: u, to: to}
	p.write(&msrp.Message{TransactionID: "bind", Method: msrp.MethodSEND, ToPath: to, FromPath: msrp.Path{u},
		MessageID: "bind", ByteRange: msrp.ByteRange{Start: 1, End: 0, Total: 0}})
	p.expect("bind", msrp.StatusOK)
	return p
}

func (p *msrpPeer) write(m *msrp.Message) {
	p.t.Helper()
	_ = p.nc.SetWriteDeadline(time.Now().Add(roomWait))
	if _, err := m.WriteTo(p.nc); err != nil {
		p.t.Fatalf("MSRP write: %v", err)
	}
}

func (p *msrpPeer) read() *msrp.Message {
	p.t.Helper()
	_ = p.nc.SetReadDeadline(time.Now().Add(roomWait))
	var m msrp.Message
	if err := p.rd.Read(&m); err != nil {
		p.t.Fatalf("MSRP read: %v", err)
	}
	return m.Clone()
}

// expect reads the response to transaction tid, which must have code.
// The 200 of an earlier transaction and REPORTs may come first (a REPORT
// is queued ahead of responses); they are passed over.
func (p *msrpPeer) expect(tid string, code int) {
	p.t.Helper()
	for range 16 {
		m := p.read()
		if m.TransactionID != tid && (m.Method == msrp.MethodREPORT || m.Method == "" && m.Code == msrp.StatusOK) {
			continue
		}
		if m.TransactionID != tid || m.Code != code {
			p.t.Fatalf("MSRP got %q %d %s, want %q %d", m.TransactionID, m.Code, m.Method, tid, code)
		}
		return
	}
	p.t.Fatalf("no response to %q", tid)
}

// nickname sends NICKNAME (RFC 7701 §7.1) and returns the status.
func (p *msrpPeer) nickname(tid, nick string) int {
	p.t.Helper()
	m := &msrp.Message{TransactionID: tid, Method: msrp.MethodNICKNAME, ToPath: p.to, FromPath: msrp.Path{p.self}}
	if err := m.SetNickname(nick); err != nil {
		p.t.Fatal(err)
	}
	p.write(m)
	r := p.read()
	if r.TransactionID != tid || r.Code == 0 {
		p.t.Fatalf("MSRP got %q %d %s, want the response to %q", r.TransactionID, r.Code, r.Method, tid)
	}
	return r.Code
}

// sendText sends one complete message of type ct and expects its 200.
func (p *msrpPeer) sendText(tid, ct, body string) {
	p.t.Helper()
	n := int64(len(body))
	p.write(&msrp.Message{TransactionID: tid, Method: msrp.MethodSEND, ToPath: p.to, FromPath: msrp.Path{p.self},
		MessageID: "m-" + tid, ContentType: ct, Body: []byte(body), ByteRange: msrp.ByteRange{Start: 1, End: n, Total: n}})
	p.expect(tid, msrp.StatusOK)
}

// pathOf returns the MSRP path of an SDP body.
func pathOf(t *testing.T, sdp []byte) msrp.Path {
	t.Helper()
	m, _, err := msrp.ParseMedia(sdp)
	if err != nil {
		t.Fatalf("SDP %q: %v", sdp, err)
	}
	return m.Path
}
