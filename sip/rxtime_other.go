//go:build !linux

package sip

import (
	"net"
	"time"
)

// rxOOBSize is room for the control messages of a read.
const rxOOBSize = 64

// enableRxTimestamps reports false: arrival timestamps are read on Linux
// only; elsewhere a request's queueing delay starts at its read.
func enableRxTimestamps(*net.UDPConn) bool { return false }

// rxTime returns the zero time.
func rxTime([]byte) time.Time { return time.Time{} }
