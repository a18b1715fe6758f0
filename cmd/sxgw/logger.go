package main

import (
	"io"
	"log/slog"

	"github.com/sxgw/sxgw/internal/config"
)

// newLogger builds the process logger from the [log] table, writing to w.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel()}
	if cfg.Log.Format == config.FormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
