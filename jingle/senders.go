package jingle

// SDP direction attributes (RFC 4566 §6, RFC 3264 §5.1).
const (
	dirSendRecv = "sendrecv"
	dirSendOnly = "sendonly"
	dirRecvOnly = "recvonly"
	dirInactive = "inactive"
)

// SendersFromDirection maps an SDP direction to content@senders. author is
// the Jingle role of the party whose SDP it is: its sendonly means that it,
// not the other party, sends (XEP-0166 §7.3, NOTES §8.2). An empty or
// unknown direction is sendrecv.
func SendersFromDirection(dir string, author Role) Senders {
	switch dir {
	case dirSendOnly:
		if author == RoleResponder {
			return SendersResponder
		}
		return SendersInitiator
	case dirRecvOnly:
		if author == RoleResponder {
			return SendersInitiator
		}
		return SendersResponder
	case dirInactive:
		return SendersNone
	}
	return SendersBoth
}

// DirectionFromSenders is the inverse of SendersFromDirection: the SDP
// direction that author's SDP must carry for s.
func DirectionFromSenders(s Senders, author Role) string {
	switch s {
	case SendersInitiator:
		if author == RoleResponder {
			return dirRecvOnly
		}
		return dirSendOnly
	case SendersResponder:
		if author == RoleResponder {
			return dirSendOnly
		}
		return dirRecvOnly
	case SendersNone:
		return dirInactive
	}
	return dirSendRecv
}
