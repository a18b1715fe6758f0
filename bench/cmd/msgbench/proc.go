package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

var errProcFormat = errors.New("msgbench: unexpected /proc format")

// processCPU returns the user+system CPU time pid has used, from
// /proc/<pid>/stat (proc(5): fields 14 utime and 15 stime, in ticks).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("msgbench: %w", err)
	}
	return parseProcStat(string(b))
}

// parseProcStat reads utime+stime from a /proc/<pid>/stat line. The command
// name (field 2) may contain spaces and parentheses: fields are counted
// after its last ')'.
func parseProcStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errProcFormat
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, errProcFormat
	}
	var ticks int64
	for _, v := range f[11:13] {
		t, err := strconv.ParseInt(v, 10, 64)
		if err != nil || t < 0 {
			return 0, errProcFormat
		}
		ticks += t
	}
	return time.Duration(ticks) * clockTick, nil
}

// machineCPU returns the time all CPUs spent busy and in total, from the
// "cpu" line of /proc/stat (proc(5)); guest time is already in user.
func machineCPU() (busy, total time.Duration, err error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("msgbench: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0, errProcFormat
	}
	return parseMachineCPU(sc.Text())
}

// parseMachineCPU reads the aggregate "cpu" line of /proc/stat: user nice
// system idle iowait irq softirq steal [guest guest_nice].
func parseMachineCPU(line string) (busy, total time.Duration, err error) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, errProcFormat
	}
	var v [8]int64
	for i := range v {
		if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil || v[i] < 0 {
			return 0, 0, errProcFormat
		}
	}
	var all int64
	for _, t := range v {
		all += t
	}
	idle := v[3] + v[4]
	return time.Duration(all-idle) * clockTick, time.Duration(all) * clockTick, nil
}

// udpDrops returns the datagrams dropped by the IPv4 UDP socket bound to
// 127.0.0.1:port because its receive buffer was full (the "drops" column
// of /proc/net/udp).
func udpDrops(port int) (int64, error) {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0, fmt.Errorf("msgbench: %w", err)
	}
	return parseUDPDrops(string(b), port)
}

// parseUDPDrops sums the drops of the sockets bound to 127.0.0.1:port in
// the text of /proc/net/udp.
func parseUDPDrops(table string, port int) (int64, error) {
	want := fmt.Sprintf("0100007F:%04X", port)
	lines := strings.Split(table, "\n")
	if len(lines) == 0 || !strings.Contains(lines[0], "local_address") {
		return 0, errProcFormat
	}
	var drops int64
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 13 || f[1] != want {
			continue
		}
		d, err := strconv.ParseInt(f[len(f)-1], 10, 64)
		if err != nil {
			return 0, errProcFormat
		}
		drops += d
	}
	return drops, nil
}
