package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
)

// profileDirEnv names a directory: when set, each run of a room fan-out
// sub-benchmark writes a CPU profile of its timed loop alone (not of
// filling the room, which costs far more) there, as
// fanout-<variant>-*.pprof. Profiles carry the pprof label side=sxgw or
// side=receiver; `go tool pprof -tags` splits the CPU between them.
const profileDirEnv = "SXGW_ROOMS_CPUPROFILE"

// BenchmarkRoomFanout measures a room of 1,000 occupants: 500 SIP
// participants, each with its own MSRP session (over loopback TCP, to an
// MSRP endpoint playing their clients), and 500 XMPP occupants of
// xmpp.test reached over one dialback-authenticated TLS s2s stream (to a Go
// s2s server counting what it gets). One op is one message into the room
// and every copy out of it arriving:
//
//   - from=xmpp: an XMPP occupant's groupchat message; 1,000 copies (the
//     499 other XMPP occupants, the sender's reflection, the 500 MSRP
//     participants as message/cpim).
//   - from=msrp: an MSRP participant's message/cpim To the room; 999
//     copies (no copy back to the sender, RFC 7701 §6.1).
//
// Figures:
//
//   - ms/fanout: mean time from handing the message to the core to the
//     last copy arriving at its receiver (ms/fanout-max: the slowest);
//   - ms/fanout-core: mean of the core's own fan-out histogram
//     (sxgw_gateway_room_fanout_seconds), message in to the last copy
//     handed to a transport: the figure without the receivers;
//   - us-cpu/copy: process CPU time (user+sys) over the timed loop per
//     copy delivered;
//   - %other-load: the CPU the rest of the machine used meanwhile, as a
//     share of all its CPUs (the wall-clock figures are only meaningful
//     when it is low; us-cpu/copy hardly depends on it).
//
// The receivers run in this process, so us-cpu/copy includes their work
// (TLS decryption and XML parsing of each stanza, MSRP parsing) and the
// garbage collection of both; the s2s and MSRP sending is sxgw's. Run with
// SXGW_ROOMS_CPUPROFILE set (bench/rooms.sh does) to get the split from
// the profile's side label.
func BenchmarkRoomFanout(b *testing.B) {
	pprof.Do(context.Background(), pprof.Labels(sideLabel, "sxgw"), func(ctx context.Context) {
		r := newRoomRig(ctx, b)
		r.checkDelivery(ctx, b)
		b.Run("from=xmpp", func(b *testing.B) { r.measure(ctx, b, "xmpp", roomSIP+roomXMPP, r.sendFromXMPP) })
		b.Run("from=msrp", func(b *testing.B) { r.measure(ctx, b, "msrp", roomSIP+roomXMPP-1, r.sendFromMSRP) })
	})
}

// measure runs the timed loop: each op sends one message with send and
// waits for its copies copies.
func (r *roomRig) measure(ctx context.Context, b *testing.B, variant string, copies int, send func(context.Context, int, string) error) {
	stop := startProfile(b, variant)
	defer stop()
	sum0, count0 := r.fanoutSeconds()
	drops0 := r.counter("sxgw_gateway_room_drops_total")
	var total, worst time.Duration
	n := 0
	busy0, all0, machine := machineCPU()
	cpu0 := cpuTime(b)
	for b.Loop() {
		id := variant + "-" + strconv.Itoa(n)
		r.copies.expect(copies)
		start := time.Now()
		if err := send(ctx, n, id); err != nil {
			b.Fatal(err)
		}
		if err := r.copies.wait(stallTimeout); err != nil {
			b.Fatalf("message %d: %v", n, err)
		}
		d := time.Since(start)
		total += d
		worst = max(worst, d)
		n++
	}
	b.StopTimer()
	// The last message's tail (sessions finishing their sends) is part of
	// its cost.
	r.await(b, "idle", r.idle)
	cpu := cpuTime(b) - cpu0
	busy1, all1, machine1 := machineCPU()
	stop()
	if extra := r.copies.n.Load() - r.copies.target.Load(); extra != 0 {
		b.Fatalf("%d copies more than sent", extra)
	}
	if d := r.counter("sxgw_gateway_room_drops_total") - drops0; d != 0 {
		b.Fatalf("%v copies dropped", d)
	}
	sum1, count1 := r.fanoutSeconds()
	if count1-count0 != uint64(n) {
		b.Fatalf("fan-out histogram counted %d messages, want %d", count1-count0, n)
	}
	b.ReportMetric(float64(total.Microseconds())/1e3/float64(n), "ms/fanout")
	b.ReportMetric(float64(worst.Microseconds())/1e3, "ms/fanout-max")
	b.ReportMetric((sum1-sum0)*1e3/float64(n), "ms/fanout-core")
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(n*copies), "us-cpu/copy")
	if machine && machine1 && all1 > all0 {
		// What the rest of the machine used meanwhile, as a share of all
		// its CPUs: wall-clock figures mean little when it is high.
		b.ReportMetric(max(0, float64(busy1-busy0-cpu))*100/float64(all1-all0), "%other-load")
	}
}

// startProfile starts a CPU profile of the caller's timed loop when
// profileDirEnv names a directory; the returned function stops it and
// may be called more than once.
func startProfile(b *testing.B, variant string) func() {
	dir := os.Getenv(profileDirEnv)
	if dir == "" {
		return func() {}
	}
	f, err := os.CreateTemp(dir, "fanout-"+variant+"-*.pprof")
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		// -cpuprofile is on: that profile covers this loop too.
		b.Logf("no loop profile: %v", err)
		_ = f.Close()
		_ = os.Remove(f.Name())
		return func() {}
	}
	stopped := false
	return func() {
		if stopped {
			return
		}
		stopped = true
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
		b.Logf("CPU profile: %s", strings.TrimPrefix(f.Name(), filepath.Clean(dir)+string(filepath.Separator)))
	}
}
