package gateway

import (
	"sync"
	"testing"
	"time"
)

func TestOrderedKeepsOrderPerKey(t *testing.T) {
	o := newOrdered(1000)
	var mu sync.Mutex
	got := map[string][]int{}
	for i := range 500 {
		for _, k := range []string{"a", "b", "c"} {
			if err := o.submit(k, func() {
				mu.Lock()
				got[k] = append(got[k], i)
				mu.Unlock()
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	o.close()
	for _, k := range []string{"a", "b", "c"} {
		if len(got[k]) != 500 {
			t.Fatalf("%s ran %d jobs", k, len(got[k]))
		}
		for i, v := range got[k] {
			if v != i {
				t.Fatalf("%s: job %d ran at position %d", k, v, i)
			}
		}
	}
	if o.active() != 0 {
		t.Fatal("queues left behind")
	}
	if err := o.submit("a", func() {}); err == nil {
		t.Fatal("closed queue accepted a job")
	}
}

func TestOrderedBound(t *testing.T) {
	o := newOrdered(2)
	release := make(chan struct{})
	if err := o.submit("k", func() { <-release }); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := o.submit("k", func() {}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.submit("k", func() {}); err != errQueueFull {
		t.Fatalf("got %v, want errQueueFull", err)
	}
	if err := o.submit("other", func() {}); err != nil {
		t.Fatalf("other keys must not be affected: %v", err)
	}
	close(release)
	o.close()
}

func TestDedupWindow(t *testing.T) {
	d := newDedup(10*time.Second, 3)
	t0 := time.Unix(1000, 0)
	if !d.first(t0, "a") || d.first(t0.Add(time.Second), "a") {
		t.Fatal("a: new then duplicate")
	}
	d.first(t0.Add(2*time.Second), "b")
	d.first(t0.Add(3*time.Second), "c")
	// Full: the oldest (a) goes first, b and c stay.
	if !d.first(t0.Add(4*time.Second), "d") {
		t.Fatal("d not new")
	}
	if d.first(t0.Add(5*time.Second), "c") {
		t.Error("c forgotten before a")
	}
	if !d.first(t0.Add(6*time.Second), "a") {
		t.Error("a, the oldest, should have been evicted")
	}
	// Expiry by time.
	if !d.first(t0.Add(20*time.Second), "c") {
		t.Error("c outlived its ttl")
	}
	// Keys are their parts, not their concatenation.
	d2 := newDedup(time.Minute, 100)
	if !d2.first(t0, "ab", "c") || !d2.first(t0, "a", "bc") || !d2.first(t0, "abc") {
		t.Error("keys with the same concatenation taken for duplicates")
	}
	if d2.first(t0, "a", "bc") || !d2.has(t0, "ab", "c") || d2.has(t0, "ab") {
		t.Error("key parts not remembered as given")
	}
	d2.forget("ab", "c")
	if d2.has(t0, "ab", "c") || !d2.has(t0, "abc") {
		t.Error("forget dropped the wrong key")
	}
}
