//go:build interop && linux

package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// systemPython is the interpreter with Debian's python3-slixmpp; another
// python3 earlier on PATH may lack it.
const systemPython = "/usr/bin/python3"

// commandTimeout bounds one driver command when the caller's context does
// not end sooner. It exceeds the iq timeouts given to the driver so that a
// missing answer comes back as an XMPP timeout error, not a harness one.
const commandTimeout = 60 * time.Second

// xmppEvent is one JSON line from the driver: a command reply (with "id") or
// an event (with "event"); see xmppclient.py for the shapes.
type xmppEvent map[string]any

// Str returns the string field key, or "" when absent or not a string.
func (e xmppEvent) Str(key string) string {
	s, _ := e[key].(string)
	return s
}

// OK reports whether a command reply says the command succeeded.
func (e xmppEvent) OK() bool {
	ok, _ := e["ok"].(bool)
	return ok
}

// xmppClient is one logged-in slixmpp user driven over stdin/stdout.
type xmppClient struct {
	t    *testing.T
	name string
	jid  string // full JID bound by the server

	stdin   io.WriteCloser
	writeMu sync.Mutex
	proc    *process

	mu      sync.Mutex
	nextID  int
	replies map[string]chan xmppEvent
	events  []xmppEvent   // not yet consumed by WaitEvent
	changed chan struct{} // closed and replaced when events grows or the driver exits
	readErr error         // why the reader stopped, once it has
	readEnd chan struct{} // closed when the reader goroutine returns
}

// startXMPPClient logs user in to p through its c2s port and returns once the
// session has started (resource bound, roster fetched, initial presence sent).
// The driver is stopped when the test ends; its stderr (slixmpp's log, XML
// included) is printed if the test fails.
func startXMPPClient(t *testing.T, p *Prosody, user string) *xmppClient {
	t.Helper()
	script, err := filepath.Abs("xmppclient.py")
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	logPath := filepath.Join(p.Dir, "xmppclient-"+user+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".log")
	cmd := exec.Command(systemPython, script,
		"--jid", p.JID(user)+"/interop",
		"--password", password(user),
		"--host", "127.0.0.1",
		"--port", strconv.Itoa(p.C2SPort),
		"--debug")
	cmd.Dir = p.Dir
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("interop: start xmppclient.py: %v", err)
	}
	c := &xmppClient{
		t:       t,
		name:    user,
		stdin:   stdin,
		replies: make(map[string]chan xmppEvent),
		changed: make(chan struct{}),
		readEnd: make(chan struct{}),
		proc:    &process{name: "xmppclient " + user, cmd: cmd, logPath: logPath, done: make(chan struct{})},
	}
	// Wait must only run once stdout has been read to the end.
	go func() {
		c.read(stdout)
		c.proc.waitErr = cmd.Wait()
		close(c.proc.done)
	}()
	dumpLogOnFailure(t, "xmppclient "+user, logPath)
	t.Cleanup(c.Close)

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	ev, err := c.WaitEvent(ctx, func(e xmppEvent) bool {
		switch e.Str("event") {
		case "session_start", "failed_auth", "connection_failed", "disconnected":
			return true
		}
		return false
	})
	if err != nil {
		t.Fatalf("interop: %s login: %v", user, err)
	}
	if ev.Str("event") != "session_start" {
		t.Fatalf("interop: %s login failed: %v", user, ev)
	}
	c.jid = ev.Str("jid")
	return c
}

// JID is the full JID the client is bound to.
func (c *xmppClient) JID() string { return c.jid }

// read dispatches the driver's output lines until it closes stdout.
func (c *xmppClient) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var err error
	for sc.Scan() {
		var ev xmppEvent
		if err = json.Unmarshal(sc.Bytes(), &ev); err != nil {
			err = fmt.Errorf("interop: xmppclient %s: bad output line %q: %w", c.name, sc.Bytes(), err)
			break
		}
		c.dispatch(ev)
	}
	if err == nil {
		err = sc.Err()
	}
	if err == nil {
		err = fmt.Errorf("interop: xmppclient %s: driver exited", c.name)
	}
	_, _ = io.Copy(io.Discard, r) // let the driver finish writing and exit
	c.mu.Lock()
	c.readErr = err
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	close(c.readEnd)
}

func (c *xmppClient) dispatch(ev xmppEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, isEvent := ev["event"]; !isEvent {
		if ch, ok := c.replies[ev.Str("id")]; ok {
			delete(c.replies, ev.Str("id"))
			ch <- ev // buffered, never blocks
			return
		}
	}
	c.events = append(c.events, ev)
	close(c.changed)
	c.changed = make(chan struct{})
}

// Command sends one command and waits for its reply, bounded by ctx and
// commandTimeout. An "id" is assigned when cmd has none. A reply with
// "ok": false is returned as a reply, not as an error: tests assert on the
// XMPP error condition. The error reports a harness failure (driver gone,
// timeout).
func (c *xmppClient) Command(ctx context.Context, cmd map[string]any) (xmppEvent, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	c.mu.Lock()
	id, _ := cmd["id"].(string)
	if id == "" {
		c.nextID++
		id = "c" + strconv.Itoa(c.nextID)
	}
	if _, dup := c.replies[id]; dup {
		c.mu.Unlock()
		return nil, fmt.Errorf("interop: xmppclient %s: command id %q already waiting", c.name, id)
	}
	ch := make(chan xmppEvent, 1)
	c.replies[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.replies, id)
		c.mu.Unlock()
	}()

	msg := make(map[string]any, len(cmd)+1)
	for k, v := range cmd {
		msg[k] = v
	}
	msg["id"] = id
	line, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("interop: xmppclient %s: %w", c.name, err)
	}
	c.writeMu.Lock()
	_, err = c.stdin.Write(append(line, '\n'))
	c.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("interop: xmppclient %s: send %s: %w", c.name, line, err)
	}
	select {
	case ev := <-ch:
		return ev, nil
	case <-c.readEnd:
		select {
		case ev := <-ch:
			return ev, nil
		default:
		}
		return nil, fmt.Errorf("interop: xmppclient %s: no reply to %s: %w", c.name, line, c.readError())
	case <-ctx.Done():
		return nil, fmt.Errorf("interop: xmppclient %s: no reply to %s: %w", c.name, line, ctx.Err())
	}
}

// MustCommand is Command that fails the test on a harness error or a reply
// with "ok": false.
func (c *xmppClient) MustCommand(ctx context.Context, cmd map[string]any) xmppEvent {
	c.t.Helper()
	ev, err := c.Command(ctx, cmd)
	if err != nil {
		c.t.Fatal(err)
	}
	if !ev.OK() {
		c.t.Fatalf("interop: xmppclient %s: %v failed: %v", c.name, cmd, ev)
	}
	return ev
}

func (c *xmppClient) readError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// WaitEvent returns, and consumes, the oldest unconsumed event for which
// match is true, waiting for one until ctx ends or the driver exits.
func (c *xmppClient) WaitEvent(ctx context.Context, match func(xmppEvent) bool) (xmppEvent, error) {
	for {
		c.mu.Lock()
		for i, ev := range c.events {
			if match(ev) {
				c.events = append(c.events[:i:i], c.events[i+1:]...)
				c.mu.Unlock()
				return ev, nil
			}
		}
		changed, readErr := c.changed, c.readErr
		c.mu.Unlock()
		if readErr != nil {
			return nil, fmt.Errorf("interop: xmppclient %s: waiting for an event: %w", c.name, readErr)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("interop: xmppclient %s: waiting for an event: %w", c.name, ctx.Err())
		}
	}
}

// Close asks the driver to log out, closes its stdin and waits for it to
// exit, killing it after stopTimeout.
func (c *xmppClient) Close() {
	if !c.proc.exited() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = c.Command(ctx, map[string]any{"cmd": "quit"})
		cancel()
	}
	_ = c.stdin.Close()
	select {
	case <-c.proc.done:
	case <-time.After(stopTimeout):
		_ = c.proc.cmd.Process.Kill()
		<-c.proc.done
	}
	<-c.readEnd
}
