package translate

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tsvRow is one line of a testdata table: its fields and line number.
type tsvRow struct {
	line   int
	fields []string
}

// readTSV reads a TAB-separated table from testdata. Lines starting with
// "#" and empty lines are skipped; a field starting with a double quote is
// a Go string literal.
func readTSV(t *testing.T, name string) []tsvRow {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []tsvRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		for i, fld := range fields {
			if strings.HasPrefix(fld, `"`) {
				u, err := strconv.Unquote(fld)
				if err != nil {
					t.Fatalf("%s:%d: field %d: %v", name, n, i+1, err)
				}
				fields[i] = u
			}
		}
		rows = append(rows, tsvRow{line: n, fields: fields})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no test cases", name)
	}
	return rows
}

func TestEscapeGolden(t *testing.T) {
	for _, g := range readTSV(t, "escape.txt") {
		if len(g.fields) != 3 {
			t.Fatalf("escape.txt:%d: want 3 fields, got %d", g.line, len(g.fields))
		}
		mode, raw, esc := g.fields[0], g.fields[1], g.fields[2]
		if mode != "both" && mode != "esc" && mode != "unesc" {
			t.Fatalf("escape.txt:%d: unknown mode %q", g.line, mode)
		}
		if mode != "unesc" {
			if got := EscapeLocal(raw); got != esc {
				t.Errorf("escape.txt:%d: EscapeLocal(%q) = %q, want %q", g.line, raw, got, esc)
			}
		}
		if mode != "esc" {
			if got := UnescapeLocal(esc); got != raw {
				t.Errorf("escape.txt:%d: UnescapeLocal(%q) = %q, want %q", g.line, esc, got, raw)
			}
		}
	}
}

func TestEscapeLocalNoDisallowed(t *testing.T) {
	// RFC 7622 §3.3.1 characters never survive escaping.
	in := ` "&'/:<>@\ \20\2F\5c `
	if out := EscapeLocal(in); strings.ContainsAny(out, ` "&'/:<>@`) {
		t.Fatalf("EscapeLocal(%q) = %q keeps a disallowed character", in, out)
	}
}

func TestEscapeLocalNoCopy(t *testing.T) {
	// The common case allocates nothing.
	s := "alice.smith+tag"
	if n := testing.AllocsPerRun(100, func() { _ = EscapeLocal(s) }); n != 0 {
		t.Errorf("EscapeLocal allocs = %v, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = UnescapeLocal(s) }); n != 0 {
		t.Errorf("UnescapeLocal allocs = %v, want 0", n)
	}
}

// validToEscape reports whether s has a valid XEP-0106 escaping: it must
// not start or end with a space (§4.1 rule 6).
func validToEscape(s string) bool {
	return !strings.HasPrefix(s, " ") && !strings.HasSuffix(s, " ")
}

func FuzzEscapeLocal(f *testing.F) {
	for _, s := range []string{
		"", "plain", `c:\5commas`, `\3and\2is\5cool`, `\2F`, `\\5c`, "a b", `\5c\5c`,
		`somenick!user"&'/:<>\3address`, "\\", `x\20`, "ünï ✓",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		esc := EscapeLocal(s)
		if strings.ContainsAny(esc, ` "&'/:<>@`) {
			t.Fatalf("EscapeLocal(%q) = %q keeps a disallowed character", s, esc)
		}
		if !validToEscape(s) {
			return
		}
		if got := UnescapeLocal(esc); got != s {
			t.Fatalf("UnescapeLocal(EscapeLocal(%q)) = %q via %q", s, got, esc)
		}
		// Escaping is a fixed point on its own output's unescaping.
		if again := EscapeLocal(UnescapeLocal(esc)); again != esc {
			t.Fatalf("EscapeLocal(UnescapeLocal(%q)) = %q", esc, again)
		}
	})
}

func FuzzUnescapeLocal(f *testing.F) {
	for _, s := range []string{"", `\20`, `\5c`, `\5c5c`, `a\20\20`, `\5C27`, `d\27artagnan`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u := UnescapeLocal(s)
		if len(u) > len(s) {
			t.Fatalf("UnescapeLocal(%q) = %q grew", s, u)
		}
		// Unescaping is idempotent on canonical input: whatever EscapeLocal
		// produces from u unescapes back to u.
		if validToEscape(u) {
			if back := UnescapeLocal(EscapeLocal(u)); back != u {
				t.Fatalf("UnescapeLocal(EscapeLocal(%q)) = %q", u, back)
			}
		}
	})
}
