package gateway

import (
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"

	"github.com/sxgw/sxgw/translate"
)

// maxNickRunes bounds a nickname. XEP-0045 allows a whole resourcepart
// (1023 bytes); a room roster of such names is useless and a cheap way to
// make every presence broadcast large.
const maxNickRunes = 64

// prepareNick applies the RFC 8266 nickname profile (RFC 7702 §7 points
// to RFC 7700, which RFC 8266 obsoletes): it returns the nickname as it
// is shown and the form nicknames are compared in. An empty, too long or
// not PRECIS-clean nickname is an error with RFC 7701 §7.1's 424 and
// XEP-0045 §7.2.? jid-malformed / not-acceptable conditions.
func prepareNick(nick string) (shown, key string, err error) {
	if nick == "" {
		return "", "", refuse(424, translate.CondJIDMalformed, "a nickname is required")
	}
	if utf8.RuneCountInString(nick) > maxNickRunes {
		return "", "", refuse(424, translate.CondNotAcceptable, "nickname longer than "+strconv.Itoa(maxNickRunes)+" characters")
	}
	shown, err = precis.Nickname.String(nick)
	if err != nil || shown == "" {
		return "", "", refuse(424, translate.CondNotAcceptable, "nickname not allowed (RFC 8266)")
	}
	key, err = precis.Nickname.CompareKey(shown)
	if err != nil {
		return "", "", refuse(424, translate.CondNotAcceptable, "nickname not allowed (RFC 8266)")
	}
	return shown, key, nil
}

// uniqueNickLocked returns a nickname based on want that no other
// occupant of r uses, adding a number when needed (RFC 7702 §7: the
// gateway resolves conflicts and tells the client the nickname used);
// r.mu held.
func uniqueNickLocked(r *room, want string) (shown, key string, ok bool) {
	base, _, err := prepareNick(want)
	if err != nil {
		base = "guest"
	}
	for i := 1; i <= 1000; i++ {
		cand := base
		if i > 1 {
			suffix := " (" + strconv.Itoa(i) + ")"
			rs := []rune(base)
			if len(rs)+len([]rune(suffix)) > maxNickRunes {
				rs = rs[:maxNickRunes-len([]rune(suffix))]
			}
			cand = string(rs) + suffix
		}
		s, k, err := prepareNick(cand)
		if err != nil {
			continue
		}
		if r.byNick[k] == nil {
			return s, k, true
		}
	}
	return "", "", false
}
