//go:build interop && linux

package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sxgw/sxgw/internal/dnstest"
)

// dnsAddr is where the test DNS server listens. Prosody resolves through
// libunbound, which only queries port 53 and keeps only the address of a
// resolv.conf nameserver line; 127.0.0.2 is local on Linux (the kernel routes
// all of 127.0.0.0/8 to lo) and unused by system resolvers.
const dnsAddr = "127.0.0.2:53"

// Bounds for the harness's waits. They are generous for a loaded 2-core
// machine; a healthy run takes a fraction of each.
const (
	startTimeout = 30 * time.Second // a process is up and accepting
	stopTimeout  = 15 * time.Second // SIGTERM to exit, before SIGKILL
	pollInterval = 50 * time.Millisecond
	logTailBytes = 64 << 10 // how much of a log a failing test prints
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		_ = os.RemoveAll(buildDir())
	}))
}

// startDNS serves fake DNS zones on dnsAddr for the duration of the test.
// Failing to bind is a test failure, never a skip: the interop tests run as
// root in CI.
func startDNS(t *testing.T) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start(dnsAddr)
	if err != nil {
		t.Fatalf("interop: cannot serve DNS on %s (Prosody only queries port 53: run the interop tests as root, and stop anything else bound there): %v", dnsAddr, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("interop: %v", err)
		}
	})
	return s
}

// publishSRV makes service (e.g. "_xmpp-server._tcp.xmpp.test") point to a
// host name of its own that resolves to 127.0.0.1:port, so a peer exercises
// the whole SRV -> target -> A path (RFC 2782).
func publishSRV(dns *dnstest.Server, service, target string, port int) {
	dns.AddSRV(service, target, uint16(port), 0, 0)
	dns.AddA(target, "127.0.0.1")
}

// freeTCPPorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago. They are held together until all are chosen, so the kernel
// cannot hand out the same one twice.
func freeTCPPorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("interop: free tcp port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("interop: free udp port: %v", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// process is a child process started by a test. It is only ever signalled
// through its own PID.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed once the process has been reaped
	waitErr error         // the result of Wait, valid once done is closed
}

// startProcess runs argv with stdout and stderr appended to logPath. The child
// gets SIGKILL if the test binary dies first, so nothing outlives a crashed or
// timed-out run.
func startProcess(name, logPath, dir string, env []string, argv ...string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("interop: %s log: %w", name, err)
	}
	defer f.Close() // the child has its own descriptor
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("interop: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to grace for the process to exit, then
// sends SIGKILL. It returns the exit error (nil for status 0) and whether the
// process had to be killed.
func (p *process) stop(grace time.Duration) (exitErr error, killed bool) {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			killed = true
			// A Go process prints every goroutine's stack on SIGQUIT: the
			// log then shows what kept it from exiting.
			_ = p.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-p.done:
			case <-time.After(2 * time.Second):
			}
			_ = p.cmd.Process.Kill()
			select {
			case <-p.done:
			case <-time.After(stopTimeout):
				return fmt.Errorf("interop: %s (pid %d) survived SIGKILL", p.name, p.cmd.Process.Pid), true
			}
		}
	}
	return p.waitErr, killed
}

// dumpLogOnFailure prints the tail of path when the test has failed. Register
// it before the cleanup that stops the process writing the log, so it runs
// after it (cleanups run last-in first-out).
func dumpLogOnFailure(t *testing.T, name, path string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		data, err := readTail(path, logTailBytes)
		if err != nil {
			t.Logf("interop: %s log %s: %v", name, path, err)
			return
		}
		t.Logf("interop: ---- %s log (%s) ----\n%s\n---- end of %s log ----", name, path, data, name)
	})
}

// readTail returns at most max bytes from the end of the file at path.
func readTail(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var prefix []byte
	if st.Size() > max {
		if _, err := f.Seek(st.Size()-max, io.SeekStart); err != nil {
			return nil, err
		}
		prefix = []byte(fmt.Sprintf("[... %d earlier bytes omitted ...]\n", st.Size()-max))
	}
	data, err := io.ReadAll(f)
	return append(prefix, data...), err
}

// waitFor polls cond until it returns nil, the process p exits (if p is not
// nil), or ctx ends; the error says which, with cond's last complaint.
func waitFor(ctx context.Context, p *process, what string, cond func(context.Context) error) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var last error
	for {
		err := cond(ctx)
		if err == nil {
			return nil
		}
		// An attempt cut short by the deadline says less than the one before.
		if last == nil || ctx.Err() == nil {
			last = err
		}
		if p != nil && p.exited() {
			return fmt.Errorf("interop: %s: %s exited (%v) while waiting: %w", what, p.name, p.waitErr, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interop: %s: %w: last error: %w", what, ctx.Err(), last)
		case <-ticker.C:
		}
	}
}

// dialable is a waitFor condition: addr accepts TCP connections.
func dialable(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// runCommand runs a short-lived helper command (openssl, prosodyctl) bounded
// by timeout and returns its combined output in the error when it fails.
func runCommand(timeout time.Duration, dir string, argv ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w (timed out after %v)", err, timeout)
		}
		return fmt.Errorf("interop: %s: %w\n%s", filepath.Base(argv[0]), err, out.Bytes())
	}
	return nil
}

// testContext returns a context bounded by d and by the test's deadline.
func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
