package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signals turns SIGTERM/SIGINT into the shutdown sequence: the first one (or
// the parent context ending) cancels ctx, which starts draining; any later
// one closes force, which makes the command exit at once.
type signals struct {
	ctx   context.Context
	force <-chan struct{}
	stop  func() // stops watching; safe to call once
}

func watchSignals(parent context.Context, log *slog.Logger) *signals {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	ctx, cancel := context.WithCancel(parent)
	force := make(chan struct{})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case s := <-ch:
				if ctx.Err() == nil {
					log.Info("signal received: draining; send it again to exit at once", "signal", s.String())
					cancel()
					continue
				}
				log.Warn("second signal: exiting at once", "signal", s.String())
				close(force)
				return
			case <-done:
				return
			}
		}
	}()
	return &signals{
		ctx:   ctx,
		force: force,
		stop: func() {
			signal.Stop(ch)
			close(done)
			wg.Wait()
			cancel()
		},
	}
}

// untilForced runs f and reports whether it finished before force was
// closed. When forced, f keeps running: the process is about to exit.
func untilForced(force <-chan struct{}, f func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return true
	case <-force:
		return false
	}
}
