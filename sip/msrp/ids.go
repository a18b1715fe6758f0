package msrp

import "crypto/rand"

// idAlphabet: lower-case letters and digits, all ident-chars (RFC 4975 §9)
// and session-id characters.
const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns n characters drawn uniformly from idAlphabet with
// crypto/rand (5.17 bits each).
func randomID(n int) string {
	b := make([]byte, n)
	var r [64]byte
	for i := 0; i < n; {
		rand.Read(r[:])
		for _, c := range r {
			// 252 = 7*36: reject the top 4 values to stay uniform.
			if c < 252 && i < n {
				b[i] = idAlphabet[c%36]
				i++
			}
		}
	}
	return string(b)
}

// NewTransactionID returns a fresh transaction id: 16 random characters
// (82 bits; RFC 4975 §7.1 asks for at least 64 bits of randomness).
func NewTransactionID() string { return randomID(16) }

// NewMessageID returns a fresh Message-ID: 20 random characters (103
// bits), unlikely to repeat as RFC 4975 §7.1.1 requires.
func NewMessageID() string { return randomID(20) }

// NewSessionID returns a fresh session-id for a local MSRP URI: 20 random
// characters (103 bits; RFC 4975 §14.1 asks for at least 80 bits).
func NewSessionID() string { return randomID(20) }
