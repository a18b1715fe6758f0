package xmpp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// dialbackKey computes a Server Dialback key as XEP-0185 §3 recommends:
//
//	key = HMAC-SHA256( hex(SHA256(Secret)), Receiving + ' ' + Originating + ' ' + StreamID )
//
// rendered in lowercase hex. Receiving is the server the key is sent to,
// Originating the domain that asserts its identity, StreamID the id the
// receiving server gave the initiating stream.
func dialbackKey(secret, receiving, originating, streamID string) string {
	sum := sha256.Sum256([]byte(secret))
	mac := hmac.New(sha256.New, []byte(hex.EncodeToString(sum[:])))
	mac.Write([]byte(receiving))
	mac.Write([]byte{' '})
	mac.Write([]byte(originating))
	mac.Write([]byte{' '})
	mac.Write([]byte(streamID))
	return hex.EncodeToString(mac.Sum(nil))
}

// checkDialbackKey reports whether key is the one we would have generated
// (XEP-0220 §2.3.2, authoritative server role). The comparison is constant
// time and ignores surrounding whitespace and hex case.
func checkDialbackKey(secret, receiving, originating, streamID, key string) bool {
	if streamID == "" || receiving == "" || originating == "" {
		return false
	}
	want := dialbackKey(secret, receiving, originating, streamID)
	got := strings.ToLower(strings.TrimSpace(key))
	return hmac.Equal([]byte(want), []byte(got))
}

// dbResult builds <db:result/> (XEP-0220 §2.1.1, §2.4).
func dbResult(from, to, typ, key string) *Element {
	el := NewElement(nsDialback, "result", "from", from, "to", to, "type", typ)
	if key != "" {
		el.AddText(key)
	}
	return el
}

// dbVerify builds <db:verify/> (XEP-0220 §2.3).
func dbVerify(from, to, id, typ, key string) *Element {
	el := NewElement(nsDialback, "verify", "from", from, "to", to, "id", id, "type", typ)
	if key != "" {
		el.AddText(key)
	}
	return el
}

// dialbackError builds a dialback error reply carrying a stanza error
// condition (XEP-0220 §2.4, "dialback with error handling").
func dialbackError(local, from, to, id, cond string) *Element {
	el := NewElement(nsDialback, local, "from", from, "to", to, "id", id, "type", "error")
	return el.Add((&StanzaError{Condition: cond}).element())
}
