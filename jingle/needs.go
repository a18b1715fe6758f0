package jingle

import (
	"fmt"
	"strings"
)

// Needs is what one side requires of the media path: the seam for a media
// relay. Without a relay the two sides of a call must be Compatible.
type Needs struct {
	// ICE: the side runs ICE connectivity checks (ICE-UDP, a=ice-ufrag).
	ICE bool
	// DTLS: the side keys SRTP with DTLS (XEP-0320, a=fingerprint).
	DTLS bool
	// SDES: the side offers SDES keys (<crypto/>, a=crypto).
	SDES bool
	// PlainRTP: the side accepts unencrypted RTP (RTP/AVP[F], no
	// required='1', no DTLS).
	PlainRTP bool
}

// String lists the needs, e.g. "ICE+DTLS" or "RTP+SDES".
func (n Needs) String() string {
	var parts []string
	if n.ICE {
		parts = append(parts, "ICE")
	}
	if n.DTLS {
		parts = append(parts, "DTLS")
	}
	if n.SDES {
		parts = append(parts, "SDES")
	}
	if n.PlainRTP {
		parts = append(parts, "RTP")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// add merges the needs of one more media line or content.
func (n *Needs) add(o Needs) {
	n.ICE = n.ICE || o.ICE
	n.DTLS = n.DTLS || o.DTLS
	n.SDES = n.SDES || o.SDES
	n.PlainRTP = n.PlainRTP || o.PlainRTP
}

// Compatible reports whether media can flow between a side with needs n
// and one with needs peer when the gateway only translates signalling.
// The error wraps ErrUnsupportedTransport (ICE on one side only) or
// ErrCryptoRequired (no keying both sides share).
func (n Needs) Compatible(peer Needs) error {
	if n.ICE != peer.ICE {
		return fmt.Errorf("%w: one side requires ICE, the other has none", ErrUnsupportedTransport)
	}
	if n.DTLS != peer.DTLS {
		if (n.DTLS && !n.SDES && !n.PlainRTP) || (peer.DTLS && !peer.SDES && !peer.PlainRTP) {
			return fmt.Errorf("%w: one side requires DTLS-SRTP, the other cannot do it", ErrCryptoRequired)
		}
	}
	shared := (n.DTLS && peer.DTLS) || (n.SDES && peer.SDES) || (n.PlainRTP && peer.PlainRTP)
	if !shared {
		return fmt.Errorf("%w: no SRTP keying or plain RTP in common", ErrCryptoRequired)
	}
	return nil
}

// TransportNeeds returns the needs of the sender of contents.
func TransportNeeds(contents []Content) Needs {
	var n Needs
	for i := range contents {
		n.add(contentNeeds(&contents[i]))
	}
	return n
}

func contentNeeds(c *Content) Needs {
	var n Needs
	var fp *Fingerprint
	switch {
	case c.ICEUDP != nil:
		n.ICE = true
		fp = c.ICEUDP.Fingerprint
	case c.RawUDP != nil:
		fp = c.RawUDP.Fingerprint
	}
	n.DTLS = fp != nil
	required := n.DTLS
	if d := c.Description; d != nil && d.Encryption != nil {
		n.SDES = len(d.Encryption.Cryptos) > 0
		required = required || bool(d.Encryption.Required)
	}
	n.PlainRTP = !required
	return n
}
