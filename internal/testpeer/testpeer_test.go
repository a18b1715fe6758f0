package testpeer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProsodyConfig(t *testing.T) {
	b, err := Prosody{Dir: "/d", Domain: "xmpp.test", C2SPort: 1, S2SPort: 2, Cert: "/c", Key: "/k", LogFile: "/l"}.Config()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`VirtualHost "xmpp.test"`, "c2s_ports = { 1 }", "s2s_ports = { 2 }", `min = "debug"`,
		`"dialback"`, "s2s_secure_auth = false", `["local-zone:"] = "test. transparent"`, `resolvconf = "/d/resolv.conf"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %q", want)
		}
	}
}

func TestReady(t *testing.T) {
	ok := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("xmpp: FAIL starting\n"))
		}
	}))
	defer srv.Close()
	if err := Ready(context.Background(), srv.Client(), srv.URL); err != nil {
		t.Fatal(err)
	}
	ok = false
	if err := Ready(context.Background(), srv.Client(), srv.URL); err == nil || !strings.Contains(err.Error(), "503 xmpp: FAIL starting") {
		t.Fatalf("got %v", err)
	}
}
