package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// warmupTimeout bounds the first message of a direction, which sets up
// the s2s streams (dialback both ways, RFC 6120 §4, XEP-0220).
const warmupTimeout = 30 * time.Second

// sipSink is where SIP -> XMPP messages end up.
type sipSink struct {
	rec  *recorder
	m    meter
	user string // the XMPP user sipp writes to
}

// runSIPToGo measures sipp -> sxgw -> Go s2s server.
func (e *env) runSIPToGo(ctx context.Context, rates []int) (*table, error) {
	t := &table{
		title: "SIP -> XMPP: sipp UAC -> sxgw -> s2s -> Go server for xmpp.test",
		sink:  "msgbench (Go s2s receiver, the sipp UAC's CPU not included)",
	}
	rec := newRecorder()
	p, err := e.startPeer(ctx, rec)
	if err != nil {
		return t, err
	}
	defer p.close()
	gw, err := e.startSXGW(ctx, modeSIPGo)
	if err != nil {
		return t, err
	}
	defer func() { gw.stop(10 * time.Second) }() // gw.child changes on restart
	err = e.sipSteps(ctx, t, gw, sipSink{rec: rec, m: meter{gw: gw}, user: "bob"}, rates)
	return t, err
}

// runSIPToProsody measures sipp -> sxgw -> Prosody -> Go c2s client.
func (e *env) runSIPToProsody(ctx context.Context, rates []int) (*table, error) {
	t := &table{
		title: "SIP -> XMPP: sipp UAC -> sxgw -> s2s -> Prosody -> c2s -> Go client " + sinkUser + "@" + xmppDomain,
		sink:  "Prosody",
	}
	pr, err := e.startProsody(ctx)
	if err != nil {
		return t, err
	}
	defer pr.stop(10 * time.Second)
	rec := newRecorder()
	sink, err := dialSink(ctx, pr.c2sAddr, xmppDomain, sinkUser, sinkPassword, rec)
	if err != nil {
		return t, err
	}
	defer sink.Close()
	gw, err := e.startSXGW(ctx, modeSIPProsody)
	if err != nil {
		return t, err
	}
	defer func() { gw.stop(10 * time.Second) }() // gw.child changes on restart
	t.notes = append(t.notes, "the c2s client is msgbench's own (stdlib TLS, SASL PLAIN, bind, then a byte scan for bodies), not slixmpp, which is too slow to be the sink at these rates")
	err = e.sipSteps(ctx, t, gw, sipSink{rec: rec, m: meter{gw: gw, sink: pr.child}, user: sinkUser}, rates)
	return t, err
}

// sipSteps warms up, then runs the steps of a SIP -> XMPP direction and the
// half-rate step.
func (e *env) sipSteps(ctx context.Context, t *table, gw *sxgw, s sipSink, rates []int) error {
	e.logf("%s: warming up", t.title)
	if err := e.warmSIP(ctx, gw, s, 0); err != nil {
		return err
	}
	step := 1
	for _, rate := range rates {
		r := e.sipStep(ctx, gw, s, step, rate, strconv.Itoa(rate))
		step++
		t.rows = append(t.rows, r)
		e.logf("  %d/s: delivered %.0f/s, loss %.3f%%, retrans %d, p99 %s ms %s", rate, r.rate, r.lossPct, r.retrans, ms(r.p99), r.why)
		if !r.passed() || ctx.Err() != nil {
			break
		}
	}
	half := halfOf(t.rows)
	if half == 0 || ctx.Err() != nil {
		return ctx.Err()
	}
	// An overloaded sxgw may still be busy with what it could not handle:
	// measure the half rate on a fresh one.
	if last := t.rows[len(t.rows)-1]; !last.passed() {
		e.logf("restarting sxgw after the overload")
		if err := gw.restart(ctx); err != nil {
			return err
		}
		if err := e.warmSIP(ctx, gw, s, step); err != nil {
			return err
		}
		step++
	}
	t.rows = append(t.rows, e.sipStep(ctx, gw, s, step, half, labelHalf))
	return ctx.Err()
}

// warmSIP sends single MESSAGEs as step until one is delivered: the first
// sets up the s2s streams (dialback both ways, RFC 6120 §4, XEP-0220).
func (e *env) warmSIP(ctx context.Context, gw *sxgw, s sipSink, step int) error {
	for attempt := 0; attempt < 3 && ctx.Err() == nil; attempt++ {
		if _, _, err := e.runUAC(ctx, uacRun{target: gw.sipAddr, step: step, rate: 1, count: 1, toUser: s.user, toDom: xmppDomain}); err != nil {
			e.logf("warm-up: %v", err)
		}
		wctx, cancel := context.WithTimeout(ctx, warmupTimeout/3)
		err := waitUntil(wctx, gw.child, "warm-up delivery", func(context.Context) error {
			if s.rec.count(step) == 0 {
				return errNoDelivery
			}
			return nil
		})
		cancel()
		if err == nil {
			return nil
		}
	}
	return errNoDelivery
}

// sipStep runs one sipp UAC step against gw.
func (e *env) sipStep(ctx context.Context, gw *sxgw, s sipSink, step, rate int, label string) stepResult {
	r := stepResult{label: label, target: rate}
	count := rate * int(e.stepDur/time.Second)
	cBefore, _ := gw.counters(ctx, gatewayCounters()...)
	before := s.m.sample()
	st, uacCPU, err := e.runUAC(ctx, uacRun{target: gw.sipAddr, step: step, rate: rate, count: count, toUser: s.user, toDom: xmppDomain})
	if err != nil {
		r.notes = append(r.notes, "sipp: "+err.Error())
	}
	// sipp ends once every MESSAGE has its final response: sxgw has sent
	// every stanza by then; what is left is in flight.
	settle(ctx, func() int64 { return s.rec.count(step) }, st.created, 500*time.Millisecond, 10*time.Second)
	after := s.m.sample()
	cAfter, _ := gw.counters(ctx, gatewayCounters()...)

	sum := s.rec.summarize(step)
	r.sent = st.created
	r.delivered = sum.delivered
	r.retrans = st.retrans
	r.failed = st.failed
	r.p50, r.p99 = sum.p50, sum.p99
	r.offered = offeredRate(r.sent, sum, count, rate)
	if sum.recvSpan > 0 {
		r.rate = float64(sum.delivered-1) / sum.recvSpan.Seconds()
	}
	if r.sent > 0 {
		r.lossPct = 100 * float64(r.sent-r.delivered) / float64(r.sent)
	}
	if sum.dups > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d messages delivered more than once", sum.dups))
	}
	s.m.account(&r, before, after, uacCPU)
	r.notes = append(r.notes, sxgwNotes(cBefore, cAfter)...)
	r.judge()
	return r
}

// offeredRate estimates the rate at which messages were sent: from the
// send times of what arrived when nearly everything did, otherwise from
// the schedule.
func offeredRate(sent int64, sum summary, count, rate int) float64 {
	if sum.delivered > 1 && float64(sum.delivered) >= 0.9*float64(sent) && sum.sendSpan > 0 {
		return float64(sent-1) / sum.sendSpan.Seconds()
	}
	if count == 0 {
		return 0
	}
	return float64(sent) * float64(rate) / float64(count)
}

// runXMPPToSIP measures Go s2s server -> sxgw -> sipp UAS.
func (e *env) runXMPPToSIP(ctx context.Context, rates []int) (*table, error) {
	t := &table{
		title: fmt.Sprintf("XMPP -> SIP: Go server for xmpp.test -> s2s -> sxgw -> sipp UAS (%d conversations)", e.pairs),
		sink:  "the sipp UAS",
	}
	u, err := e.startUAS()
	if err != nil {
		return t, err
	}
	defer u.stop(5 * time.Second)
	e.publish("_sip._udp."+sipDomain, "ua."+sipDomain, u.port)
	rec := newRecorder()
	p, err := e.startPeer(ctx, rec)
	if err != nil {
		return t, err
	}
	defer p.close()
	gw, err := e.startSXGW(ctx, modeXMPPSIP)
	if err != nil {
		return t, err
	}
	defer func() { gw.stop(10 * time.Second) }() // gw.child changes on restart
	m := meter{gw: gw, sink: u.child}

	e.logf("%s: warming up", t.title)
	if err := e.warmXMPP(ctx, p, u, rec, 0); err != nil {
		return t, err
	}
	step := 1
	for _, rate := range rates {
		r := e.xmppStep(ctx, gw, p, u, rec, m, step, rate, strconv.Itoa(rate))
		step++
		t.rows = append(t.rows, r)
		e.logf("  %d/s: delivered %.0f/s, loss %.3f%%, retrans %d, p99 %s ms %s", rate, r.rate, r.lossPct, r.retrans, ms(r.p99), r.why)
		if !r.passed() || ctx.Err() != nil {
			break
		}
	}
	half := halfOf(t.rows)
	if half == 0 || ctx.Err() != nil {
		return t, ctx.Err()
	}
	// An overloaded sxgw may still be waiting for transactions whose
	// responses it lost, with conversations stuck behind them: measure
	// the half rate on a fresh one.
	if last := t.rows[len(t.rows)-1]; !last.passed() {
		e.logf("restarting sxgw after the overload")
		if err := gw.restart(ctx); err != nil {
			return t, err
		}
		if err := e.warmXMPP(ctx, p, u, rec, step); err != nil {
			return t, err
		}
		step++
	}
	t.rows = append(t.rows, e.xmppStep(ctx, gw, p, u, rec, m, step, half, labelHalf))
	return t, ctx.Err()
}

// warmXMPP sends one message as step and waits until the UAS has it: the
// first sets up the s2s streams.
func (e *env) warmXMPP(ctx context.Context, p *peer, u *uas, rec *recorder, step int) error {
	p.send(ctx, step, 1, 1, 1)
	wctx, cancel := context.WithTimeout(ctx, warmupTimeout)
	defer cancel()
	err := waitUntil(wctx, u.child, "warm-up delivery", func(context.Context) error {
		if err := u.collect(rec); err != nil {
			return err
		}
		if rec.count(step) == 0 {
			return errNoDelivery
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w (error stanzas: %v)", err, p.stepErrors(step))
	}
	return nil
}

// xmppStep runs one step of paced stanzas from the peer.
func (e *env) xmppStep(ctx context.Context, gw *sxgw, p *peer, u *uas, rec *recorder, m meter, step, rate int, label string) stepResult {
	r := stepResult{label: label, target: rate}
	count := rate * int(e.stepDur/time.Second)
	uBefore, _ := readSippStats(u.stats)
	cBefore, _ := gw.counters(ctx, gatewayCounters()...)
	before := m.sample()
	res := p.send(ctx, step, rate, count, e.pairs)
	collect := func() int64 {
		_ = u.collect(rec)
		return rec.count(step)
	}
	settle(ctx, collect, res.sent, time.Second, 15*time.Second)
	after := m.sample()
	// The UAS writes its statistics every second.
	var uAfter sippStats
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_ = waitUntil(sctx, u.child, "UAS statistics", func(context.Context) error {
		s, err := readSippStats(u.stats)
		if err != nil {
			return err
		}
		uAfter = s
		if s.incoming-uBefore.incoming < rec.count(step) {
			return errNoStats
		}
		return nil
	})
	cancel()
	cAfter, _ := gw.counters(ctx, gatewayCounters()...)

	d := uAfter.sub(uBefore)
	sum := rec.summarize(step)
	r.sent = res.sent
	r.delivered = sum.delivered
	// What reached the UAS more than once: retransmitted MESSAGEs, which
	// start a new call (logged twice), or hit a live or dead one.
	r.retrans = sum.dups + d.retrans + d.deadCall
	errs := p.stepErrors(step)
	for _, c := range slices.Sorted(maps.Keys(errs)) {
		r.failed += errs[c]
		r.notes = append(r.notes, fmt.Sprintf("%d error stanzas %s", errs[c], c))
	}
	r.p50, r.p99 = sum.p50, sum.p99
	if res.span > 0 {
		r.offered = float64(res.sent) / res.span.Seconds()
	}
	if sum.recvSpan > 0 {
		r.rate = float64(sum.delivered-1) / sum.recvSpan.Seconds()
	}
	if r.sent > 0 {
		r.lossPct = 100 * float64(r.sent-r.delivered) / float64(r.sent)
	}
	if res.refused > 0 {
		r.notes = append(r.notes, fmt.Sprintf("the peer's s2s queue was full %d times", res.refused))
	}
	if d.outOfCall > 0 {
		r.notes = append(r.notes, fmt.Sprintf("the UAS saw %d out-of-call messages", d.outOfCall))
	}
	if sum.dups > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d MESSAGEs reached the UAS more than once (retransmitted)", sum.dups))
	}
	m.account(&r, before, after, 0)
	r.notes = append(r.notes, sxgwNotes(cBefore, cAfter)...)
	r.judge()
	return r
}
