package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestSubscriptionsPersist(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	a := Subscription{ID: "a", Kind: "k", Watcher: "sip:carol@sip.test", Presentity: "alice@xmpp.test", State: "active", Expires: exp, Dialog: `{"CallID":"x"}`, Updated: exp}
	if err := s.PutSubscription(ctx, a); err != nil {
		t.Fatal(err)
	}
	a.State = "pending"
	if err := s.PutSubscription(ctx, a); err != nil { // upsert
		t.Fatal(err)
	}
	if err := s.PutSubscription(ctx, Subscription{ID: "b", Expires: exp, Updated: exp.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSubscription(ctx, Subscription{}); err == nil {
		t.Fatal("subscription without id stored")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != a || got[1].ID != "b" {
		t.Fatalf("got %+v", got)
	}
	if err := s.DeleteSubscription(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, "missing"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Subscriptions(ctx); len(got) != 1 || got[0].ID != "b" {
		t.Fatalf("after delete: %+v", got)
	}
}
