package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// child is a process started by msgbench. It gets SIGKILL if msgbench dies
// first and is only ever signalled through its own PID.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once reaped
	err  error         // Wait's result, valid once done is closed
}

// startChild runs argv in dir with stdout and stderr appended to logPath.
func startChild(name, logPath, dir string, argv ...string) (*child, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("msgbench: %s log: %w", name, err)
	}
	defer f.Close() // the child has its own descriptor
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("msgbench: start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after grace, and waits for the exit.
func (c *child) stop(grace time.Duration) {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return
	case <-time.After(grace):
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}

// cpu returns the CPU time the process has used: from /proc while it runs,
// from its rusage once reaped.
func (c *child) cpu() time.Duration {
	if c.exited() {
		if st := c.cmd.ProcessState; st != nil {
			return st.UserTime() + st.SystemTime()
		}
		return 0
	}
	d, err := processCPU(c.pid())
	if err != nil && c.exited() {
		return c.cpu() // it ended between the two checks
	}
	return d
}

// waitUntil polls cond every 50 ms until it returns nil, c exits (if not
// nil) or ctx ends.
func waitUntil(ctx context.Context, c *child, what string, cond func(context.Context) error) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	var last error
	for {
		if last = cond(ctx); last == nil {
			return nil
		}
		if c != nil && c.exited() {
			return fmt.Errorf("msgbench: %s: %s exited (%v): %w", what, c.name, c.err, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("msgbench: %s: %w (last: %w)", what, ctx.Err(), last)
		case <-t.C:
		}
	}
}

// dialable is a waitUntil condition: addr accepts TCP connections.
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

// freeTCPPorts returns n distinct TCP ports on 127.0.0.1 free a moment ago.
func freeTCPPorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("msgbench: free tcp port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// freeUDPPort returns a UDP port on 127.0.0.1 free a moment ago.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("msgbench: free udp port: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func loopback(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
