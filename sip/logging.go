package sip

import (
	"context"
	"log/slog"
)

// quietHandler hands sipgo's own log records to the endpoint's logger at
// debug level: sipgo logs parse failures with the whole message at error
// level, and message contents must not reach the info log.
type quietHandler struct {
	inner slog.Handler
}

func (h quietHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return h.inner.Enabled(ctx, slog.LevelDebug)
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return h.inner.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{inner: h.inner.WithAttrs(attrs)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{inner: h.inner.WithGroup(name)}
}
