package sxgw

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/sxgw/sxgw"

// TestDependencyRule enforces the layering of DESIGN.md on the non-test
// dependency closure of each package: the SIP and XMPP sides never know
// each other or the core, the pure packages stay pure, nothing imports cmd.
func TestDependencyRule(t *testing.T) {
	rules := []struct {
		pkg    string
		forbid []string // module-relative prefixes
		// thirdParty lists the only non-module, non-stdlib prefixes allowed;
		// nil means any.
		thirdParty []string
	}{
		{pkg: "sip", forbid: []string{"xmpp", "gateway", "cmd", "jingle", "internal"}},
		{pkg: "xmpp", forbid: []string{"sip", "gateway", "cmd", "jingle", "internal"}},
		{pkg: "gateway", forbid: []string{"sip", "xmpp", "cmd"}},
		{pkg: "translate", forbid: []string{"sip", "xmpp", "gateway", "cmd", "jingle", "internal"},
			thirdParty: []string{"mellium.im/", "golang.org/x/text", "golang.org/x/net/idna", "golang.org/x/net/html"}},
		{pkg: "jingle", forbid: []string{"sip", "xmpp", "gateway", "cmd", "internal"}},
		{pkg: "internal/...", forbid: []string{"sip", "xmpp", "gateway", "cmd", "jingle", "translate"}},
	}
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./"+r.pkg).Output()
			if err != nil {
				t.Fatalf("go list %s: %v", r.pkg, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				if rel, ours := strings.CutPrefix(dep, module+"/"); ours {
					if under(rel, r.pkg) {
						continue
					}
					for _, f := range r.forbid {
						// sip/simple is shared by design.
						if under(rel, f) && !(f == "sip" && rel == "sip/simple") {
							t.Errorf("%s depends on %s", r.pkg, dep)
						}
					}
					continue
				}
				if r.thirdParty != nil && dep != module && !allowed(dep, r.thirdParty) {
					t.Errorf("%s depends on third-party %s", r.pkg, dep)
				}
			}
		})
	}
	users, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(users)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module+"/cmd") {
				t.Errorf("%s imports %s: nothing imports cmd", f[0], imp)
			}
		}
	}
}

func under(rel, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/...")
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

func allowed(dep string, prefixes []string) bool {
	for _, p := range prefixes {
		if dep == p || strings.HasPrefix(dep, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}
