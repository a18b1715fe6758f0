package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sxgw/sxgw"
	"github.com/sxgw/sxgw/gateway"
)

// childConfigEnv makes the test binary run the command itself with
// -config $childConfigEnv, so that tests can send it real signals.
const childConfigEnv = "SXGW_TEST_CHILD_CONFIG"

func TestMain(m *testing.M) {
	if path := os.Getenv(childConfigEnv); path != "" {
		os.Exit(run(context.Background(), []string{"-config", path}, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runCmd runs the command in-process and returns its status and output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVersion(t *testing.T) {
	code, out, errOut := runCmd(t, "-version")
	if code != exitOK || errOut != "" {
		t.Fatalf("status %d, stderr %q", code, errOut)
	}
	if !regexp.MustCompile(`^sxgw \S+( \(revision [0-9a-f]+(, modified)?\))? go1\.\d+\S*\n$`).MatchString(out) {
		t.Errorf("version line %q", out)
	}
}

func TestPrintVersion(t *testing.T) {
	var b bytes.Buffer
	printVersion(&b, gateway.BuildInfo{Version: "v1.2.3", Revision: "abc123", Modified: true, GoVersion: "go1.26.8"})
	if got, want := b.String(), "sxgw v1.2.3 (revision abc123, modified) go1.26.8\n"; got != want {
		t.Errorf("printVersion = %q, want %q", got, want)
	}
}

func TestPrintExampleConfig(t *testing.T) {
	code, out, errOut := runCmd(t, "-print-example-config")
	if code != exitOK || errOut != "" {
		t.Fatalf("status %d, stderr %q", code, errOut)
	}
	if out != string(sxgw.ExampleConfig()) {
		t.Error("output differs from the embedded example")
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.toml", "[gateway]\ndomains = [\"sip.test\"]\n[conference]\ndomain = \"conference.sip.test\"\n")
	warn := writeFile(t, dir, "warn.toml", "[sip]\ntrusted_peers = [\"0.0.0.0/0\"]\n")
	bad := writeFile(t, dir, "bad.toml", "[sip]\nlisten = [\"udp:0.0.0.0:5060\", \"sctp:0.0.0.0:5060\"]\n[log]\nlevel = \"loud\"\n")
	unknown := writeFile(t, dir, "unknown.toml", "[gateway]\n\ndomain = \"sip.test\"\n")
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string
		stderr    string // exact unless stderrHas is set
		stderrHas string
	}{
		{name: "good", args: []string{"-check-config", "-config", good}, code: exitOK, stdout: "config ok\n"},
		{name: "warnings", args: []string{"-config", warn, "-check-config"}, code: exitOK, stdout: "config ok\n",
			stderr: "warning: gateway.domains[0]: \"example.com\" is reserved for documentation (RFC 2606): nobody can reach it\n" +
				"warning: sip.trusted_peers[0]: \"0.0.0.0/0\" trusts every address: any host can send SIP requests as any user\n"},
		{name: "problems", args: []string{"-check-config", "-config", bad}, code: exitUsage,
			stderr: "sip.listen[1]: unknown transport \"sctp\" (want udp, tcp, tls or ws)\n" +
				"log.level: unknown level \"loud\" (want debug, info, warn or error)\n" +
				"sxgw: " + bad + ": 2 problems\n"},
		{name: "unknown key", args: []string{"-check-config", "-config", unknown}, code: exitUsage,
			stderr: "config: " + unknown + ":3: unknown key \"gateway.domain\"\nsxgw: " + unknown + ": 1 problem\n"},
		{name: "missing file", args: []string{"-check-config", "-config", filepath.Join(dir, "none.toml")}, code: exitUsage,
			stderr: "config: open " + filepath.Join(dir, "none.toml") + ": no such file or directory\nsxgw: " + filepath.Join(dir, "none.toml") + ": 1 problem\n"},
		{name: "run with problems", args: []string{"-config", bad}, code: exitUsage, stderrHas: "2 problems"},
		{name: "no config", args: []string{"-check-config"}, code: exitUsage, stderrHas: "sxgw: -config is required\nUsage:"},
		{name: "extra args", args: []string{"-config", good, "serve"}, code: exitUsage, stderrHas: "sxgw: unexpected arguments: [\"serve\"]"},
		{name: "bad flag", args: []string{"-bogus"}, code: exitUsage, stderrHas: "flag provided but not defined: -bogus"},
		{name: "help", args: []string{"-h"}, code: exitOK, stderrHas: "-print-example-config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("status = %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if out != tt.stdout {
				t.Errorf("stdout = %q, want %q", out, tt.stdout)
			}
			if tt.stderrHas != "" {
				if !strings.Contains(errOut, tt.stderrHas) {
					t.Errorf("stderr = %q, want it to contain %q", errOut, tt.stderrHas)
				}
			} else if errOut != tt.stderr {
				t.Errorf("stderr = %q, want %q", errOut, tt.stderr)
			}
		})
	}
}

// testConfig writes a configuration that binds only ephemeral loopback
// ports, with its data in dir.
func testConfig(t *testing.T, dir, drain string, extraSIP ...string) string {
	t.Helper()
	listen := []string{`"udp:127.0.0.1:0"`, `"tcp:127.0.0.1:0"`}
	listen = append(listen, extraSIP...)
	return writeFile(t, dir, "sxgw.toml", fmt.Sprintf(`
[gateway]
domains = ["sip.test"]
data_dir = %q
drain_timeout = %q
[xmpp]
listen = "127.0.0.1:0"
[sip]
listen = [%s]
outbound_proxy = "SIPS:[::1]:5061;lr;transport=TLS"
[dns]
server = "127.0.0.1:1"
timeout = "100ms"
[conference]
domain = "conference.sip.test"
[msrp]
listen = "127.0.0.1:0"
[admin]
listen = "127.0.0.1:0"
[log]
level = "debug"
format = "json"
`, filepath.Join(dir, "data"), drain, strings.Join(listen, ", ")))
}

// logWatcher collects JSON log lines and reports the admin address.
type logWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines []map[string]any
	admin chan string
}

func newLogWatcher() *logWatcher { return &logWatcher{admin: make(chan string, 1)} }

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadBytes('\n')
		if err != nil {
			// Keep the partial line for the next Write.
			rest := append([]byte(nil), line...)
			w.buf.Reset()
			w.buf.Write(rest)
			return len(p), nil
		}
		w.addLine(line)
	}
}

func (w *logWatcher) addLine(line []byte) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		m = map[string]any{"msg": string(line)}
	}
	w.lines = append(w.lines, m)
	if m["msg"] == "admin listening" {
		if addr, ok := m["addr"].(string); ok {
			select {
			case w.admin <- addr:
			default:
			}
		}
	}
}

// find returns the first line with message msg.
func (w *logWatcher) find(msg string) map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.lines {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

func (w *logWatcher) waitAdmin(t *testing.T, done <-chan int) string {
	t.Helper()
	select {
	case addr := <-w.admin:
		return addr
	case code := <-done:
		t.Fatalf("sxgw exited with %d before the admin server started; log:\n%s", code, w.dump())
	case <-time.After(10 * time.Second):
		t.Fatalf("no admin address logged; log:\n%s", w.dump())
	}
	return ""
}

func (w *logWatcher) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, l := range w.lines {
		fmt.Fprintln(&b, l)
	}
	return b.String()
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// waitReadyz polls /readyz until it answers status, and returns the body.
func waitReadyz(t *testing.T, base string, status int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := httpGet(t, base+"/readyz")
		if code == status {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %q, want %d", code, body, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunStartStop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	path := testConfig(t, dir, "50ms", `"tls:127.0.0.1:0"`)
	logs := newLogWatcher()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"-config", path}, io.Discard, logs) }()

	base := "http://" + logs.waitAdmin(t, done)
	if code, body := httpGet(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	body := waitReadyz(t, base, 200)
	for _, want := range []string{
		"store: ok " + filepath.Join(dir, "data", "sxgw.db") + "\n",
		"sip: ok udp 127.0.0.1:", ", tcp 127.0.0.1:", ", tls 127.0.0.1:",
		"xmpp: ok s2s listening on 127.0.0.1:",
		"certificate: self-signed, in " + filepath.Join(dir, "data"),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz body %q lacks %q", body, want)
		}
	}
	if code, metrics := httpGet(t, base+"/metrics"); code != 200 || !strings.Contains(metrics, "sxgw_build_info{") {
		t.Errorf("/metrics = %d, lacks sxgw_build_info", code)
	}
	if l := logs.find("generated self-signed certificate"); l == nil || l["level"] != "WARN" {
		t.Errorf("no WARN about the generated certificate: %v", l)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "sxgw.db")); err != nil {
		t.Errorf("store file: %v", err)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit status %d, want 0; log:\n%s", code, logs.dump())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("sxgw did not stop after cancel")
	}
	if logs.find("sxgw stopped") == nil {
		t.Errorf("no \"sxgw stopped\" log line")
	}
	var d net.Dialer
	dctx, dcancel := context.WithTimeout(context.Background(), time.Second)
	defer dcancel()
	if conn, err := d.DialContext(dctx, "tcp", strings.TrimPrefix(base, "http://")); err == nil {
		conn.Close()
		t.Error("admin still listening after exit")
	}

	// A second start reuses the generated certificate and the store.
	logs2 := newLogWatcher()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	done2 := make(chan int, 1)
	go func() { done2 <- run(ctx2, []string{"-config", path}, io.Discard, logs2) }()
	waitReadyz(t, "http://"+logs2.waitAdmin(t, done2), 200)
	if logs2.find("using self-signed certificate") == nil || logs2.find("generated self-signed certificate") != nil {
		t.Errorf("second start did not reuse the certificate; log:\n%s", logs2.dump())
	}
	cancel2()
	if code := <-done2; code != exitOK {
		t.Errorf("second run exit status %d", code)
	}
}

func TestRunStartupFailure(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	// Occupy a TCP port and ask the SIP side to bind it.
	var lc net.ListenConfig
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	busy, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	path := testConfig(t, dir, "0s", fmt.Sprintf("%q", "tcp:"+busy.Addr().String()))
	logs := newLogWatcher()
	if code := run(ctx, []string{"-config", path}, io.Discard, logs); code != exitFailure {
		t.Errorf("exit status %d, want %d", code, exitFailure)
	}
	l := logs.find("startup failed")
	if l == nil || !strings.Contains(fmt.Sprint(l["err"]), busy.Addr().String()) {
		t.Errorf("startup failure not logged with the address: %v\n%s", l, logs.dump())
	}
}

// startChild runs the command in a child process (the test binary, see
// TestMain) and returns it with its admin base URL.
func startChild(t *testing.T, drain string) (*exec.Cmd, string, <-chan int, *logWatcher) {
	t.Helper()
	dir := t.TempDir()
	path := testConfig(t, dir, drain)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childConfigEnv+"="+path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := newLogWatcher()
	done := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			_, _ = logs.Write(append(sc.Bytes(), '\n'))
		}
		_ = cmd.Wait()
		done <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	base := "http://" + logs.waitAdmin(t, done)
	waitReadyz(t, base, 200)
	return cmd, base, done, logs
}

func waitExit(t *testing.T, done <-chan int, logs *logWatcher) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("child did not exit; log:\n%s", logs.dump())
	}
	return -1
}

func TestSignalDrainsThenExits(t *testing.T) {
	cmd, base, done, logs := startChild(t, "300ms")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	body := waitReadyz(t, base, 503)
	if !strings.Contains(body, "draining: FAIL shutting down\n") {
		t.Errorf("/readyz while draining = %q", body)
	}
	if code, _ := httpGet(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz while draining = %d, want 200", code)
	}
	if code := waitExit(t, done, logs); code != exitOK {
		t.Errorf("exit status %d, want 0; log:\n%s", code, logs.dump())
	}
	if logs.find("sxgw stopped") == nil {
		t.Errorf("no \"sxgw stopped\"; log:\n%s", logs.dump())
	}
}

func TestSecondSignalForcesExit(t *testing.T) {
	cmd, base, done, logs := startChild(t, "1h")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waitReadyz(t, base, 503)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, done, logs); code != exitFailure {
		t.Errorf("exit status %d, want %d; log:\n%s", code, exitFailure, logs.dump())
	}
	if logs.find("second signal: exiting at once") == nil {
		t.Errorf("no second-signal log line; log:\n%s", logs.dump())
	}
}
