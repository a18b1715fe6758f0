package msrp

import (
	"errors"
	"strings"
	"testing"
)

func TestNickname(t *testing.T) {
	for _, tt := range []struct {
		raw, want string
		ok        bool
		err       error
	}{
		{``, "", false, nil},
		{`"Alice the great"`, "Alice the great", true, nil},
		{`""`, "", true, nil}, // RFC 7701 §7.3: remove the nickname
		{`"a \"b\" \\c"`, `a "b" \c`, true, nil},
		{`"Zoë"`, "Zoë", true, nil},
		{`Alice`, "", true, ErrBadNickname},
		{`"a"b"`, "", true, ErrBadNickname},
		{`"a\b"`, "", true, ErrBadNickname},
		{`"a\"`, "", true, ErrBadNickname},
		{"\"\xff\"", "", true, ErrBadNickname},
		{`"` + strings.Repeat("n", 1024) + `"`, "", true, ErrBadNickname},
	} {
		m := &Message{UseNickname: tt.raw}
		nick, ok, err := m.Nickname()
		if nick != tt.want || ok != tt.ok || !errors.Is(err, tt.err) {
			t.Errorf("Nickname(%s) = %q %v %v", tt.raw, nick, ok, err)
		}
		if ok && err == nil {
			var m2 Message
			if err := m2.SetNickname(nick); err != nil || m2.UseNickname != tt.raw {
				t.Errorf("SetNickname(%q) = %s %v, want %s", nick, m2.UseNickname, err, tt.raw)
			}
		}
	}
	var m Message
	if err := m.SetNickname("a\nb"); !errors.Is(err, ErrBadNickname) {
		t.Fatal(err)
	}
}
