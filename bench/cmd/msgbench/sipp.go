package main

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed scenarios/*.xml
var scenarios embed.FS

// sippBuffer is the socket buffer sipp asks for (-buff_size): its default
// drops datagrams in bursts well below 20,000 messages/s on loopback.
const sippBuffer = 4 << 20

// writeScenarios copies the embedded sipp scenarios into dir.
func writeScenarios(dir string) error {
	for _, name := range []string{"uac.xml", "uas.xml"} {
		b, err := scenarios.ReadFile("scenarios/" + name)
		if err != nil {
			return fmt.Errorf("msgbench: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("msgbench: %w", err)
		}
	}
	return nil
}

// sippStats are counters of sipp's statistics file (-trace_stat), which
// holds cumulative values (the "(C)" columns).
type sippStats struct {
	created    int64 // TotalCallCreated: messages sent by a UAC
	incoming   int64 // IncomingCall(C): messages received by a UAS
	successful int64 // SuccessfulCall(C)
	failed     int64 // FailedCall(C)
	retrans    int64 // Retransmissions(C): requests or responses resent
	deadCall   int64 // DeadCallMsgs(C): messages for calls already over (a UAS sees retransmitted requests here)
	outOfCall  int64 // OutOfCallMsgs(C)
}

// sippColumns maps the statistics file's column names to the fields.
func (s *sippStats) columns() map[string]*int64 {
	return map[string]*int64{
		"TotalCallCreated":   &s.created,
		"IncomingCall(C)":    &s.incoming,
		"SuccessfulCall(C)":  &s.successful,
		"FailedCall(C)":      &s.failed,
		"Retransmissions(C)": &s.retrans,
		"DeadCallMsgs(C)":    &s.deadCall,
		"OutOfCallMsgs(C)":   &s.outOfCall,
	}
}

var errNoStats = errors.New("msgbench: no sipp statistics yet")

// readSippStats returns the last complete line of a sipp statistics file.
func readSippStats(path string) (sippStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return sippStats{}, fmt.Errorf("msgbench: %w", err)
	}
	defer f.Close()
	return parseSippStats(f)
}

// parseSippStats reads sipp's -trace_stat format: a header line of
// ';'-separated column names, then one line per dump.
func parseSippStats(r io.Reader) (sippStats, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var header []string
	var last string
	for sc.Scan() {
		line := sc.Text()
		if header == nil {
			header = strings.Split(line, ";")
			continue
		}
		// A line being written may be incomplete: keep whole ones.
		if strings.Count(line, ";") >= len(header)-1 {
			last = line
		}
	}
	if err := sc.Err(); err != nil {
		return sippStats{}, fmt.Errorf("msgbench: sipp statistics: %w", err)
	}
	if last == "" {
		return sippStats{}, errNoStats
	}
	values := strings.Split(last, ";")
	var s sippStats
	cols := s.columns()
	found := 0
	for i, name := range header {
		p := cols[name]
		if p == nil || i >= len(values) {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(values[i]), 10, 64)
		if err != nil {
			return sippStats{}, fmt.Errorf("msgbench: sipp statistics column %s = %q: %w", name, values[i], err)
		}
		*p = v
		found++
	}
	if found != len(cols) {
		return sippStats{}, fmt.Errorf("msgbench: sipp statistics lack some of the expected columns (found %d of %d)", found, len(cols))
	}
	return s, nil
}

// sub returns the counters of s since base.
func (s sippStats) sub(base sippStats) sippStats {
	return sippStats{
		created:    s.created - base.created,
		incoming:   s.incoming - base.incoming,
		successful: s.successful - base.successful,
		failed:     s.failed - base.failed,
		retrans:    s.retrans - base.retrans,
		deadCall:   s.deadCall - base.deadCall,
		outOfCall:  s.outOfCall - base.outOfCall,
	}
}

// uacRun is one sipp UAC run: count MESSAGEs at rate per second.
type uacRun struct {
	target        string // sxgw's SIP UDP address
	step          int
	rate, count   int
	toUser, toDom string
}

// runUAC runs sipp as a UAC to completion (bounded by ctx) and returns its
// statistics and CPU time.
func (e *env) runUAC(ctx context.Context, r uacRun) (sippStats, time.Duration, error) {
	port, err := freeUDPPort()
	if err != nil {
		return sippStats{}, 0, err
	}
	base := fmt.Sprintf("uac-%d", r.step)
	stats := filepath.Join(e.dir, base+".csv")
	// Whole run: sending takes count/rate seconds, then every call ends
	// within the scenario's 8 s response timeout.
	limit := time.Duration(r.count/max(r.rate, 1))*time.Second + 30*time.Second
	argv := []string{e.sipp, r.target,
		"-sf", filepath.Join(e.dir, "uac.xml"),
		"-key", "step", strconv.Itoa(r.step),
		"-key", "to_user", r.toUser, "-key", "to_domain", r.toDom,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-r", strconv.Itoa(r.rate), "-rp", "1000", "-m", strconv.Itoa(r.count),
		"-l", strconv.Itoa(max(4*r.rate, 1000)),
		"-buff_size", strconv.Itoa(sippBuffer),
		// A MESSAGE refused (503 under overload) is a failed call, not a
		// dialog to end: no BYE, which would add load of its own.
		"-default_behaviors", "all,-bye",
		"-nostdin", "-timeout", strconv.Itoa(int(limit.Seconds())) + "s",
		"-trace_stat", "-stf", stats, "-fd", "1",
	}
	c, err := startChild("sipp uac", filepath.Join(e.dir, base+".log"), e.dir, argv...)
	if err != nil {
		return sippStats{}, 0, err
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		c.stop(2 * time.Second)
		return sippStats{}, c.cpu(), ctx.Err()
	case <-time.After(limit + 10*time.Second):
		c.stop(2 * time.Second)
	}
	st, err := readSippStats(stats)
	return st, c.cpu(), err
}

// uas is a sipp UAS answering 200 to every MESSAGE and logging its tag.
type uas struct {
	*child
	port    int
	stats   string
	logPath string
	offset  int64 // how much of the log has been read
}

// startUAS starts the UAS on a free port.
func (e *env) startUAS() (*uas, error) {
	port, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	u := &uas{port: port, stats: filepath.Join(e.dir, "uas.csv"), logPath: filepath.Join(e.dir, "uas-messages.log")}
	argv := []string{e.sipp, "-sf", filepath.Join(e.dir, "uas.xml"),
		"-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-buff_size", strconv.Itoa(sippBuffer),
		// A MESSAGE reusing the Call-ID of an ended call (the next of
		// its conversation, or a retransmission) is a new call, not a
		// dead call's message to ignore.
		"-deadcall_wait", "1",
		"-nostdin", "-timeout", "1200s",
		"-trace_logs", "-log_file", u.logPath,
		"-trace_stat", "-stf", u.stats, "-fd", "1",
	}
	u.child, err = startChild("sipp uas", filepath.Join(e.dir, "uas.out"), e.dir, argv...)
	if err != nil {
		return nil, err
	}
	// sipp writes its first statistics line once it runs.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitUntil(ctx, u.child, "sipp UAS statistics", func(context.Context) error {
		_, err := readSippStats(u.stats)
		return err
	}); err != nil {
		u.stop(2 * time.Second)
		return nil, err
	}
	return u, nil
}

// collect records the log lines written since the last call into rec;
// lines that are not benchmark tags are counted as bad arrivals.
func (u *uas) collect(rec *recorder) error {
	f, err := os.Open(u.logPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("msgbench: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(u.offset, io.SeekStart); err != nil {
		return fmt.Errorf("msgbench: %w", err)
	}
	br := bufio.NewReaderSize(f, 256<<10)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			// A partial last line is read again next time.
			return nil
		}
		u.offset += int64(len(line))
		step, n, sent, recv, perr := parseUASLog(line)
		if perr != nil {
			rec.addBad()
			continue
		}
		rec.add(step, n, sent, recv)
	}
}
