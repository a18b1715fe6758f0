package gateway

import (
	"strings"
	"sync"
)

// Check is one line of the readiness report.
type Check struct {
	Name   string
	OK     bool   // always true for an informational line
	Detail string // free text for the operator; may be empty
	Info   bool   // informational: shown, never affects readiness
}

// Health records named readiness checks and informational lines, in the
// order their names were first set. The zero value is ready to use and is
// safe for concurrent use.
type Health struct {
	mu     sync.Mutex
	checks []Check // readiness checks
	infos  []Check // informational lines
}

// SetReady records the state of the readiness check name. The process is
// ready when every check is ok. detail is shown on /readyz.
func (h *Health) SetReady(name string, ok bool, detail string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = upsert(h.checks, Check{Name: name, OK: ok, Detail: oneLine(detail)})
}

// Info records an informational line shown on /readyz that does not affect
// readiness (for example the generated certificate in use).
func (h *Health) Info(name, detail string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.infos = upsert(h.infos, Check{Name: name, OK: true, Detail: oneLine(detail), Info: true})
}

// Ready reports whether every readiness check is ok, and returns a copy of
// the checks followed by the informational lines. With no checks recorded,
// the process is ready.
func (h *Health) Ready() (bool, []Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ready := true
	out := make([]Check, 0, len(h.checks)+len(h.infos))
	for _, c := range h.checks {
		ready = ready && c.OK
		out = append(out, c)
	}
	return ready, append(out, h.infos...)
}

// upsert replaces the entry named c.Name or appends c.
func upsert(list []Check, c Check) []Check {
	for i := range list {
		if list[i].Name == c.Name {
			list[i] = c
			return list
		}
	}
	return append(list, c)
}

// oneLine keeps a detail on a single line of the text report.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
