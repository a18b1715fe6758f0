//go:build linux

package sip

import (
	"encoding/binary"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// rxOOBSize is room for the one control message a timestamped read
// carries: SCM_TIMESTAMPNS and its struct timespec (socket(7)).
const rxOOBSize = 64

// enableRxTimestamps asks the kernel to stamp every datagram c receives
// with its arrival time (socket(7) SO_TIMESTAMPNS), so that the time a
// request spent in the socket's buffer counts in its queueing delay. It
// reports whether the socket accepted.
func enableRxTimestamps(c *net.UDPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return false
	}
	return serr == nil
}

// rxTime returns the arrival time in the control messages of a read
// (cmsg(3)), or the zero time when they hold none.
func rxTime(oob []byte) time.Time {
	wide := unix.SizeofCmsghdr == 16 // 64-bit: size_t cmsg_len
	align := 4
	if wide {
		align = 8
	}
	for len(oob) >= unix.SizeofCmsghdr {
		var n int
		var level, typ int32
		if wide {
			n = int(binary.NativeEndian.Uint64(oob))
			level, typ = int32(binary.NativeEndian.Uint32(oob[8:])), int32(binary.NativeEndian.Uint32(oob[12:]))
		} else {
			n = int(binary.NativeEndian.Uint32(oob))
			level, typ = int32(binary.NativeEndian.Uint32(oob[4:])), int32(binary.NativeEndian.Uint32(oob[8:]))
		}
		if n < unix.SizeofCmsghdr || n > len(oob) {
			return time.Time{}
		}
		data := oob[unix.SizeofCmsghdr:n]
		if level == unix.SOL_SOCKET && typ == unix.SCM_TIMESTAMPNS {
			switch {
			case wide && len(data) >= 16: // struct timespec of two 64-bit fields
				return time.Unix(int64(binary.NativeEndian.Uint64(data)), int64(binary.NativeEndian.Uint64(data[8:])))
			case !wide && len(data) >= 8:
				return time.Unix(int64(int32(binary.NativeEndian.Uint32(data))), int64(int32(binary.NativeEndian.Uint32(data[4:]))))
			}
			return time.Time{}
		}
		n = (n + align - 1) &^ (align - 1)
		if n > len(oob) {
			return time.Time{}
		}
		oob = oob[n:]
	}
	return time.Time{}
}
