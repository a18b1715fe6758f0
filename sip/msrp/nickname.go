package msrp

import (
	"strings"
	"unicode/utf8"
)

// maxNickname: RFC 7701 §7.1: a nickname MUST NOT be more than 1023
// octets long.
const maxNickname = 1023

// Nickname decodes the Use-Nickname header field (RFC 7701 §7.1, §9):
//
//	Use-Nickname = "Use-Nickname:" SP nickname
//	nickname = DQUOTE 1*1023(qdtext / qd-esc) DQUOTE
//
// It returns ok false when the field is absent, and ErrBadNickname when it
// is malformed (answer 424, RFC 7701 §7.1). An empty nickname ("") asks to
// remove the current one (RFC 7701 §7.3).
func (m *Message) Nickname() (nick string, ok bool, err error) {
	if m.UseNickname == "" {
		return "", false, nil
	}
	nick, err = unquoteNickname(m.UseNickname)
	return nick, true, err
}

// SetNickname sets the Use-Nickname header field to nick, quoted
// (RFC 7701 §7.1); "" removes the nickname (RFC 7701 §7.3).
func (m *Message) SetNickname(nick string) error {
	if len(nick) > maxNickname || !utf8.ValidString(nick) {
		return ErrBadNickname
	}
	var b strings.Builder
	b.Grow(len(nick) + 2)
	b.WriteByte('"')
	for i := 0; i < len(nick); i++ {
		c := nick[i]
		if (c < 0x20 && c != '\t') || c == 0x7F {
			return ErrBadNickname
		}
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	m.UseNickname = b.String()
	return nil
}

// unquoteNickname: RFC 4975 §9 quoted-string with RFC 7701's length bound.
//
//	qdtext = SP / HTAB / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
//	qd-esc = (BACKSLASH BACKSLASH) / (BACKSLASH DQUOTE)
func unquoteNickname(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", ErrBadNickname
	}
	s = s[1 : len(s)-1]
	if strings.IndexByte(s, '\\') < 0 {
		if strings.IndexByte(s, '"') >= 0 || !validText(s) || !utf8.ValidString(s) || len(s) > maxNickname {
			return "", ErrBadNickname
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) || (s[i+1] != '\\' && s[i+1] != '"') {
				return "", ErrBadNickname
			}
			i++
			c = s[i]
		case c == '"', (c < 0x20 && c != '\t'), c == 0x7F:
			return "", ErrBadNickname
		}
		b = append(b, c)
	}
	if len(b) > maxNickname || !utf8.Valid(b) {
		return "", ErrBadNickname
	}
	return string(b), nil
}
