package msrp

import (
	"net"
	"strconv"
	"sync"
)

// registry holds an Endpoint's sessions, keyed by the session-id of their
// local URI, and its connections, the dialled ones also keyed by the
// authority they were dialled to (RFC 4975 §5.4 connection reuse).
//
// Sessions are matched by session-id alone, not by the whole URI: the
// session-id is ours, random and unique among our sessions (RFC 4975
// §8.2, §14.1), while the authority a peer writes in a To-Path may differ
// from ours in form (a host name for an address, a port rewritten by a
// middlebox; RFC 6714 matches sessions the same way).
type registry struct {
	wg       *sync.WaitGroup // the Endpoint's: goroutines started under mu
	mu       sync.Mutex
	closed   bool
	sessions map[string]*Session
	dialed   map[string]*conn
	conns    map[*conn]struct{}
}

func newRegistry(wg *sync.WaitGroup) *registry {
	return &registry{
		wg:       wg,
		sessions: make(map[string]*Session),
		dialed:   make(map[string]*conn),
		conns:    make(map[*conn]struct{}),
	}
}

// addSession registers s under a fresh session-id, which init receives
// before anyone can look s up, and counts its goroutine in the
// WaitGroup. It reports false when the registry is closed.
func (r *registry) addSession(s *Session, init func(id string)) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	for {
		id := NewSessionID()
		if _, dup := r.sessions[id]; !dup {
			init(id)
			r.sessions[id] = s
			r.wg.Add(1)
			return true
		}
	}
}

// session returns the session whose local session-id is id, or nil.
func (r *registry) session(id string) *Session {
	if id == "" {
		return nil
	}
	r.mu.Lock()
	s := r.sessions[id]
	r.mu.Unlock()
	return s
}

func (r *registry) removeSession(id string, s *Session) {
	r.mu.Lock()
	if r.sessions[id] == s {
		delete(r.sessions, id)
	}
	r.mu.Unlock()
}

// addConn records c (and, when key is not "", indexes it for reuse). It
// reports false when the registry is closed.
func (r *registry) addConn(c *conn, key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = struct{}{}
	r.wg.Add(2) // reader and writer
	if key != "" {
		r.dialed[key] = c
	}
	return true
}

// dialedConn returns the open connection dialled to key, or nil.
func (r *registry) dialedConn(key string) *conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dialed[key]
}

// unindex stops offering c for reuse.
func (r *registry) unindex(c *conn) {
	if c.key == "" {
		return
	}
	r.mu.Lock()
	if r.dialed[c.key] == c {
		delete(r.dialed, c.key)
	}
	r.mu.Unlock()
}

func (r *registry) removeConn(c *conn) {
	r.mu.Lock()
	delete(r.conns, c)
	if c.key != "" && r.dialed[c.key] == c {
		delete(r.dialed, c.key)
	}
	r.mu.Unlock()
}

// close marks the registry closed and returns what it held.
func (r *registry) close() ([]*Session, []*conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	ss := make([]*Session, 0, len(r.sessions))
	for _, s := range r.sessions {
		ss = append(ss, s)
	}
	cs := make([]*conn, 0, len(r.conns))
	for c := range r.conns {
		cs = append(cs, c)
	}
	return ss, cs
}

// dialKey is the reuse key of a connection to the adjacent hop u: its
// scheme, host and port (RFC 4975 §5.4: "the same host, port, and URI
// scheme"), compared by the rules of RFC 4975 §6.1.
func dialKey(u URI) string {
	hop := URI{Secure: u.Secure, Host: u.Host, Port: u.Port, Transport: "tcp"}
	return hop.Key()
}

// hostPort is the network address of u for net.Dial.
func hostPort(u URI) string {
	return net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
}
