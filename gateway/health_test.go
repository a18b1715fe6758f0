package gateway

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestHealth(t *testing.T) {
	var h Health
	if ready, checks := h.Ready(); !ready || len(checks) != 0 {
		t.Fatalf("zero Health: Ready = %v, %v; want true, none", ready, checks)
	}
	h.SetReady("store", false, "opening")
	h.Info("tls", "self-signed\ncertificate")
	h.SetReady("sip", true, "")
	steps := []struct {
		do        func()
		wantReady bool
		want      []Check
	}{
		{func() {}, false, []Check{
			{Name: "store", Detail: "opening"},
			{Name: "sip", OK: true},
			{Name: "tls", OK: true, Detail: "self-signed certificate", Info: true},
		}},
		{func() { h.SetReady("store", true, "sxgw.db") }, true, []Check{
			{Name: "store", OK: true, Detail: "sxgw.db"},
			{Name: "sip", OK: true},
			{Name: "tls", OK: true, Detail: "self-signed certificate", Info: true},
		}},
		{func() { h.Info("sip", "an info line never fails readiness") }, true, []Check{
			{Name: "store", OK: true, Detail: "sxgw.db"},
			{Name: "sip", OK: true},
			{Name: "tls", OK: true, Detail: "self-signed certificate", Info: true},
			{Name: "sip", OK: true, Detail: "an info line never fails readiness", Info: true},
		}},
		{func() { h.SetReady("draining", false, "shutting down") }, false, []Check{
			{Name: "store", OK: true, Detail: "sxgw.db"},
			{Name: "sip", OK: true},
			{Name: "draining", Detail: "shutting down"},
			{Name: "tls", OK: true, Detail: "self-signed certificate", Info: true},
			{Name: "sip", OK: true, Detail: "an info line never fails readiness", Info: true},
		}},
	}
	for i, s := range steps {
		s.do()
		ready, checks := h.Ready()
		if ready != s.wantReady || !reflect.DeepEqual(checks, s.want) {
			t.Errorf("step %d: Ready = %v, %+v\nwant %v, %+v", i, ready, checks, s.wantReady, s.want)
		}
	}
	// The returned slice is a copy.
	_, checks := h.Ready()
	checks[0].OK = false
	if _, again := h.Ready(); !again[0].OK {
		t.Error("changing the slice Ready returned changed the Health")
	}
}

func TestHealthConcurrent(t *testing.T) {
	var h Health
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				name := fmt.Sprintf("c%d", (i+j)%4)
				h.SetReady(name, j%2 == 0, "")
				h.Info(name, "x")
				h.Ready()
			}
		}()
	}
	wg.Wait()
	_, checks := h.Ready()
	if len(checks) != 8 {
		t.Errorf("got %d entries, want 4 checks and 4 info lines: %+v", len(checks), checks)
	}
}
