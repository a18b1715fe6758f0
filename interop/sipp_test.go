//go:build interop && linux

package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sippKeys are values for a scenario's [key] placeholders.
type sippKeys map[string]string

// sippArgs turns keys into -key arguments.
func (k sippKeys) args() []string {
	var out []string
	for name, v := range k {
		out = append(out, "-key", name, v)
	}
	return out
}

// runSippUAC runs a client scenario from testdata for one call against
// target ("ip:port") over UDP and fails the test if the scenario fails.
func runSippUAC(t *testing.T, scenario, target string, keys sippKeys) {
	t.Helper()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp is not installed (Debian package sip-tester): %v", err)
	}
	sf, _ := filepath.Abs(filepath.Join("testdata", scenario))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{target, "-sf", sf, "-m", "1", "-i", "127.0.0.1", "-p", "0",
		"-nostdin", "-timeout", "30s", "-timeout_error"}, keys.args()...)
	cmd := exec.CommandContext(ctx, sipp, args...)
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp %s: %v\n%s", scenario, err, tail(out))
	}
}

// sippUAS is a sipp server scenario running in the background.
type sippUAS struct {
	Port  int
	trace string
	done  chan error
}

// startSippUAS runs a server scenario from testdata on a free UDP port,
// for one call, tracing every message for assertions.
func startSippUAS(t *testing.T, scenario string, keys sippKeys) *sippUAS {
	t.Helper()
	return startSipp(t, scenario, "", keys)
}

// startSipp runs a scenario from testdata in the background for one call:
// a client scenario against target, or a server scenario when target is
// "". Every message is traced for assertions.
func startSipp(t *testing.T, scenario, target string, keys sippKeys) *sippUAS {
	t.Helper()
	return startSippAt(t, scenario, target, freeUDPPort(t), keys)
}

// startSippUASAt runs a server scenario on a given UDP port: the next
// phone behind a DNS record that already names the port.
func startSippUASAt(t *testing.T, scenario string, port int, keys sippKeys) *sippUAS {
	t.Helper()
	return startSippAt(t, scenario, "", port, keys)
}

func startSippAt(t *testing.T, scenario, target string, port int, keys sippKeys) *sippUAS {
	t.Helper()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp is not installed (Debian package sip-tester): %v", err)
	}
	sf, _ := filepath.Abs(filepath.Join("testdata", scenario))
	dir := t.TempDir()
	u := &sippUAS{Port: port, trace: filepath.Join(dir, "messages.log"), done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	args := []string{"-sf", sf, "-m", "1", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-nostdin", "-timeout", "110s", "-timeout_error", "-trace_msg", "-message_file", u.trace}
	if target != "" {
		args = append([]string{target}, args...)
	}
	cmd := exec.CommandContext(ctx, sipp, append(args, keys.args()...)...)
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		if err != nil {
			err = &sippError{err: err, out: out.String()}
		}
		u.done <- err
		cancel()
	}()
	t.Cleanup(func() {
		cancel()
		<-u.done
	})
	time.Sleep(200 * time.Millisecond) // sipp binds its socket
	return u
}

type sippError struct {
	err error
	out string
}

func (e *sippError) Error() string { return e.err.Error() + "\n" + tail([]byte(e.out)) }

// messages returns what the trace holds so far.
func (u *sippUAS) messages() string {
	b, _ := os.ReadFile(u.trace)
	return string(b)
}

// waitTrace waits until the trace contains want.
func (u *sippUAS) waitTrace(t *testing.T, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(u.messages(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("sipp never saw %q; trace:\n%s", want, tail([]byte(u.messages())))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wait waits for the scenario to finish and returns the traced messages.
func (u *sippUAS) wait(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case err := <-u.done:
		u.done <- nil // for the cleanup
		if err != nil {
			t.Fatalf("sipp UAS: %v", err)
		}
	case <-time.After(d):
		t.Fatal("sipp UAS did not finish its call")
	}
	b, err := os.ReadFile(u.trace)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
