package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseBody(t *testing.T) {
	tests := []struct {
		in      string
		step, n int
		sent    int64
		wantErr bool
	}{
		{in: "sxb 3 17 1795409447284972", step: 3, n: 17, sent: 1795409447284972},
		{in: "sxb 0 1 1795409447.000000 283875.000000", step: 0, n: 1, sent: 1795409447283875},
		{in: "  sxb 2 5 1795409447.000000 9.000000\n", step: 2, n: 5, sent: 1795409447000009},
		{in: "sxb 1 2", wantErr: true},
		{in: "hello 1 2 3", wantErr: true},
		{in: "sxb -1 2 3", wantErr: true},
		{in: "sxb 1 x 3", wantErr: true},
		{in: "sxb 1 2 0", wantErr: true},
		{in: "sxb 1 2 1795409447.5 3.000000", wantErr: true},
		{in: "sxb 1 2 1795409447.000000 1000000.000000", wantErr: true},
		{in: "sxb 1 2 3 4 5", wantErr: true},
	}
	for _, tt := range tests {
		step, n, sent, err := parseBody(tt.in)
		if tt.wantErr {
			if !errors.Is(err, errNotBenchBody) {
				t.Errorf("parseBody(%q) error = %v, want errNotBenchBody", tt.in, err)
			}
			continue
		}
		if err != nil || step != tt.step || n != tt.n || sent != tt.sent {
			t.Errorf("parseBody(%q) = %d, %d, %d, %v; want %d, %d, %d", tt.in, step, n, sent, err, tt.step, tt.n, tt.sent)
		}
	}
}

func TestParseUASLog(t *testing.T) {
	step, n, sent, recv, err := parseUASLog("sxb 4 99 1795409447284972 1795409447.000000 290000.000000\n")
	if err != nil || step != 4 || n != 99 || sent != 1795409447284972 || recv != 1795409447290000 {
		t.Fatalf("parseUASLog = %d %d %d %d %v", step, n, sent, recv, err)
	}
	for _, bad := range []string{"", "sxb 4 99 1795409447284972", "sxb 4 99 1 2.000000 x", "x 4 99 1 2.000000 3.000000"} {
		if _, _, _, _, err := parseUASLog(bad); err == nil {
			t.Errorf("parseUASLog(%q) accepted", bad)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	// Field 2 holds spaces and a ')': fields are counted after the last ')'.
	line := "4242 (sx gw) (x)) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 9 0 100 200 300"
	got, err := parseProcStat(line)
	if err != nil || got != 175*clockTick {
		t.Fatalf("parseProcStat = %v, %v; want %v", got, err, 175*clockTick)
	}
	for _, bad := range []string{"", "4242 sxgw S 1", "4242 (sxgw) S 1 2 3", "4242 (sxgw) S 1 2 3 4 5 6 7 8 9 10 x 25"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) accepted", bad)
		}
	}
}

func TestParseMachineCPU(t *testing.T) {
	busy, total, err := parseMachineCPU("cpu  100 5 50 800 20 1 4 0 0 0")
	if err != nil || busy != 160*clockTick || total != 980*clockTick {
		t.Fatalf("parseMachineCPU = %v %v %v", busy, total, err)
	}
	if _, _, err := parseMachineCPU("cpu0 1 2 3 4 5 6 7 8"); err == nil {
		t.Error("a per-CPU line was accepted")
	}
}

func TestParseUDPDrops(t *testing.T) {
	table := `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 1862: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 148110 2 00000000b8eb5733 17
 1863: 0200007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 148111 2 00000000b8eb5734 5
 1864: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 148112 2 00000000b8eb5735 9
`
	got, err := parseUDPDrops(table, 0x13C4)
	if err != nil || got != 17 {
		t.Fatalf("parseUDPDrops = %d, %v; want 17", got, err)
	}
	if got, err := parseUDPDrops(table, 1); err != nil || got != 0 {
		t.Errorf("drops of an unbound port = %d, %v", got, err)
	}
	if _, err := parseUDPDrops("garbage", 1); err == nil {
		t.Error("a table without header was accepted")
	}
}

const sippStatsSample = `StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TotalCallCreated;IncomingCall(C);SuccessfulCall(C);FailedCall(C);DeadCallMsgs(C);OutOfCallMsgs(C);Retransmissions(C);
2026-11-23	04:50:13.8;x;y;00:00:00;00:00:01;100;0;97;3;0;1;12;
2026-11-23	04:50:14.8;x;y;00:00:01;00:00:02;200;0;190;4;2;1;30;
2026-11-23	04:50:15.8;x;y;00:00:02
`

func TestParseSippStats(t *testing.T) {
	got, err := parseSippStats(strings.NewReader(sippStatsSample))
	if err != nil {
		t.Fatal(err)
	}
	want := sippStats{created: 200, successful: 190, failed: 4, deadCall: 2, outOfCall: 1, retrans: 30}
	if got != want {
		t.Fatalf("parseSippStats = %+v, want %+v (the incomplete last line must be skipped)", got, want)
	}
	if d := got.sub(sippStats{created: 100, successful: 97, failed: 3, retrans: 12, outOfCall: 1}); d != (sippStats{created: 100, successful: 93, failed: 1, deadCall: 2, retrans: 18}) {
		t.Errorf("sub = %+v", d)
	}
	if _, err := parseSippStats(strings.NewReader("StartTime;TotalCallCreated\n")); !errors.Is(err, errNoStats) {
		t.Errorf("header only: %v, want errNoStats", err)
	}
	if _, err := parseSippStats(strings.NewReader("StartTime;TotalCallCreated\nx;5\n")); err == nil {
		t.Error("missing columns accepted")
	}
}

func TestParseCounters(t *testing.T) {
	text := `# HELP sxgw_gateway_messages_total Messages.
# TYPE sxgw_gateway_messages_total counter
sxgw_gateway_messages_total{direction="sip_to_xmpp",result="ok"} 1500
sxgw_gateway_messages_total{direction="sip_to_xmpp",result="error"} 3
sxgw_xmpp_bounced_stanzas_total{condition="remote server timeout"} 2
sxgw_other_total 7
`
	got, err := parseCounters(text, "sxgw_gateway_messages_total", "sxgw_xmpp_bounced_stanzas_total")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[`sxgw_gateway_messages_total{direction="sip_to_xmpp",result="error"}`] != 3 ||
		got[`sxgw_xmpp_bounced_stanzas_total{condition="remote server timeout"}`] != 2 {
		t.Fatalf("parseCounters = %v", got)
	}
	notes := sxgwNotes(map[string]float64{}, got)
	if len(notes) != 2 {
		t.Errorf("sxgwNotes = %q, want the two non-ok series", notes)
	}
	if _, err := parseCounters("sxgw_x{a=\"b\"} notanumber\n", "sxgw_x"); err == nil {
		t.Error("bad value accepted")
	}
}

func TestRecorder(t *testing.T) {
	r := newRecorder()
	for i := range 100 {
		r.add(1, i, 1_000_000, 1_000_000+int64(i+1)*1000) // 1..100 ms
	}
	r.add(1, 5, 1_000_000, 9_000_000) // a duplicate
	r.add(2, 0, 5, 6)
	s := r.summarize(1)
	if s.delivered != 100 || s.dups != 1 {
		t.Fatalf("delivered %d dups %d", s.delivered, s.dups)
	}
	if s.p50 != 50*time.Millisecond || s.p99 != 99*time.Millisecond || s.max != 100*time.Millisecond {
		t.Errorf("p50 %v p99 %v max %v", s.p50, s.p99, s.max)
	}
	if s.recvSpan != 99*time.Millisecond || s.sendSpan != 0 {
		t.Errorf("spans %v %v", s.recvSpan, s.sendSpan)
	}
	if r.count(2) != 1 || r.count(3) != 0 {
		t.Error("counts per step are mixed up")
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		in   []int64
		p    int
		want int64
	}{
		{nil, 50, 0},
		{[]int64{7}, 99, 7},
		{[]int64{1, 2, 3, 4}, 50, 2},
		{[]int64{1, 2, 3, 4}, 99, 4},
		{[]int64{1, 2, 3, 4}, 0, 1},
	}
	for _, tt := range tests {
		if got := percentile(tt.in, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %d) = %d, want %d", tt.in, tt.p, got, tt.want)
		}
	}
}

func TestScanBodies(t *testing.T) {
	stream := `<?xml version='1.0'?><stream:stream xmlns='jabber:client'><presence from='alice@xmpp.test/bench'/>` +
		`<message from='carol@sip.test' to='alice@xmpp.test' type='normal'><subject>x</subject><body>sxb 1 1 1795409447.000000 100.000000</body></message>` +
		`<message from='carol@sip.test'><body>sxb 1 2 1795409447.000000 200.000000</body></message>` +
		`<message><body>sxb 1 broken</body></message>`
	r := newRecorder()
	if err := scanBodies(strings.NewReader(stream), r); err == nil || err.Error() != "EOF" {
		t.Fatalf("scanBodies = %v, want EOF", err)
	}
	if r.count(1) != 2 || r.bad != 1 {
		t.Fatalf("recorded %d, bad %d; want 2 and 1", r.count(1), r.bad)
	}
}

func TestJudge(t *testing.T) {
	ok := stepResult{target: 1000, sent: 10000, offered: 1000, delivered: 10000}
	ok.judge()
	if !ok.passed() {
		t.Fatalf("a clean step failed: %s", ok.why)
	}
	for name, r := range map[string]stepResult{
		"loss":      {target: 1000, sent: 10000, offered: 1000, delivered: 9989, lossPct: 0.11},
		"retrans":   {target: 1000, sent: 10000, offered: 1000, retrans: 1},
		"failed":    {target: 1000, sent: 10000, offered: 1000, failed: 1},
		"generator": {target: 1000, sent: 10000, offered: 800},
		"nothing":   {target: 1000, offered: 1000},
	} {
		r.judge()
		if r.passed() {
			t.Errorf("%s: passed", name)
		}
	}
	if h := halfOf([]stepResult{{target: 2000}, {target: 5000}, {target: 10000, why: "loss"}}); h != 2500 {
		t.Errorf("halfOf = %d, want 2500", h)
	}
}

func FuzzParseBody(f *testing.F) {
	f.Add("sxb 3 17 1795409447284972")
	f.Add("sxb 0 1 1795409447.000000 283875.000000")
	f.Fuzz(func(t *testing.T, s string) {
		step, n, sent, err := parseBody(s)
		if err == nil && (step < 0 || n < 0 || sent <= 0) {
			t.Fatalf("parseBody(%q) = %d %d %d without error", s, step, n, sent)
		}
	})
}

func FuzzParseUASLog(f *testing.F) {
	f.Add("sxb 4 99 1795409447284972 1795409447.000000 290000.000000\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _, recv, err := parseUASLog(s)
		if err == nil && recv < 0 {
			t.Fatalf("negative receive time from %q", s)
		}
	})
}

func FuzzParseSippStats(f *testing.F) {
	f.Add(sippStatsSample)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseSippStats(strings.NewReader(s))
	})
}

func FuzzParseCounters(f *testing.F) {
	f.Add("sxgw_a{b=\"c d\"} 1\nsxgw_a 2\n# x\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseCounters(s, "sxgw_")
	})
}

func FuzzParseProcStat(f *testing.F) {
	f.Add("4242 (sx gw) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20")
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseProcStat(s); err == nil && d < 0 {
			t.Fatalf("negative CPU time from %q", s)
		}
	})
}

func FuzzParseUDPDrops(f *testing.F) {
	f.Add("sl local_address\n 1: 0100007F:0035 0 0 0 0 0 0 0 0 0 0 9\n", 53)
	f.Fuzz(func(t *testing.T, s string, port int) {
		_, _ = parseUDPDrops(s, port)
	})
}
