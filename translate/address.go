package translate

import (
	"strings"
	"unicode/utf8"

	"mellium.im/xmpp/jid"
)

// AddressOptions configures the address mapping of SIPToJID and JIDToSIP.
type AddressOptions struct {
	// ComponentDomain selects component mode (XEP-0114) when set: the
	// gateway is the XMPP component at this domain, and a SIP address
	// user@host is the localpart, XEP-0106-escaped, of a JID at this
	// domain (sip:alice@example.com <-> alice\40example.com@sip.example.org).
	// Empty selects s2s mode, where the address keeps its domain
	// (RFC 7247 §6: sip:alice@example.com <-> alice@example.com).
	// Give it in its JID form (lowercase; Unicode labels or A-labels).
	ComponentDomain string

	// LocalDomains lists the domains this gateway itself answers for on
	// the protocol the address is translated into. A translated address in
	// one of them would route straight back to the gateway, so the
	// mapping refuses it with ErrLoop (RFC 7247 §8). Set it when
	// translating a destination (Request-URI, To, a stanza's 'to'): for
	// SIPToJID the domains the gateway serves on XMPP, for JIDToSIP those
	// it serves on SIP. Leave it empty when translating a source address
	// (From), which is in such a domain by design. In component mode the
	// component domain is always treated as local.
	LocalDomains []string
}

// isLocal reports whether one of names (the JID and the SIP form of one
// domain) is the component domain or in LocalDomains. Comparison ignores
// ASCII case and a trailing dot.
func (o *AddressOptions) isLocal(names ...string) bool {
	for _, n := range names {
		if o.ComponentDomain != "" && sameDomainName(n, o.ComponentDomain) {
			return true
		}
		for _, d := range o.LocalDomains {
			if sameDomainName(n, d) {
				return true
			}
		}
	}
	return false
}

func sameDomainName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// SIPToJID maps a SIP address to a JID (RFC 7247 §6.4). uri is a sip:,
// im: or pres: URI as it appears on the wire, without display name or
// angle brackets.
//
// The user part is percent-decoded (steps 3-4, RFC 3986 §2.1) and must be
// UTF-8; it is then XEP-0106-escaped: step 5's & ' / and, by the general
// rule of §6.2, every character a localpart cannot hold (space " : < > @,
// and a backslash that would read as an escape). The host becomes the
// domainpart, lowercased; a port and every URI parameter but gr are
// dropped, as are URI headers. An AOR-associated GRUU's gr value becomes
// the resourcepart (step 8, §6.3); a temporary GRUU's valueless gr maps to
// the bare JID. The jid package then applies the PRECIS profiles of
// RFC 7622 (the optional step 6 made mandatory by the JID type), which
// case-folds the localpart.
//
// In component mode the decoded user@host is the escaped localpart at
// opts.ComponentDomain.
//
// Errors are *Error values wrapping ErrSIPS for sips: (RFC 7247 §8),
// ErrScheme for tel: and other schemes (§6.1), ErrBadAddress for syntax
// errors, ErrUnmappable for addresses that have no JID (no user part, a
// password, a user that is no valid localpart, a user starting or ending
// with a space, which XEP-0106 §4.1 rule 6 cannot escape) and ErrLoop when
// the JID's domain is local (see AddressOptions.LocalDomains).
func SIPToJID(uri string, opts AddressOptions) (jid.JID, error) {
	u, perr := parseURI(uri)
	if perr != nil {
		return jid.JID{}, perr
	}
	if u.user == "" {
		// RFC 7247 §6 maps addresses of the form user@domain; a URI
		// without a user names a server, not a user.
		return jid.JID{}, addrError(ErrUnmappable, "no user part", nil)
	}
	if !utf8.ValidString(u.user) || !utf8.ValidString(u.gr) {
		return jid.JID{}, addrError(ErrUnmappable, "not UTF-8", nil) // §6.4 step 4
	}
	if u.user[0] == ' ' || u.user[len(u.user)-1] == ' ' {
		return jid.JID{}, addrError(ErrUnmappable, "user part starts or ends with a space", nil)
	}
	if opts.ComponentDomain != "" {
		if opts.isLocal(u.host) {
			return jid.JID{}, addrError(ErrLoop, "", nil)
		}
		return newEscapedJID(u.user+"@"+u.host, opts.ComponentDomain, u.gr)
	}
	j, err := newEscapedJID(u.user, u.host, u.gr)
	if err != nil {
		return jid.JID{}, err
	}
	// The domainpart holds U-labels where the host had A-labels; insist
	// that JIDToSIP gives the same host back, so that the mapping stays
	// one to one.
	if h, ok := asciiHost(j.Domainpart()); !ok || h != u.host {
		return jid.JID{}, addrError(ErrUnmappable, "host is no canonical domain name", nil)
	}
	if opts.isLocal(u.host, j.Domainpart()) {
		return jid.JID{}, addrError(ErrLoop, "", nil)
	}
	return j, nil
}

// newEscapedJID builds the JID whose localpart is the XEP-0106 escaping of
// local.
func newEscapedJID(local, domain, resource string) (jid.JID, error) {
	esc := EscapeLocal(local)
	j, err := jid.New(esc, domain, resource)
	if err != nil {
		return jid.JID{}, addrError(ErrUnmappable, "not a valid JID", err)
	}
	// PRECIS (RFC 7622 §3.3) folds case and width and normalizes, which
	// may turn literal text into an escape sequence ("\２７" or "\2ﬀ" into
	// "\27", "\2ff"), making a different address read the same. Refuse
	// any localpart whose escape sequences PRECIS changed.
	// It may also bring in a backslash that leaves the localpart no
	// canonical escaping ("a＼20" into "a\20"), which JIDToSIP refuses.
	if lp := j.Localpart(); lp != esc {
		_, want := unescapeLocal(esc, true)
		_, got := unescapeLocal(lp, true)
		if _, ok := canonicalUnescape(lp); got != want || !ok {
			return jid.JID{}, addrError(ErrUnmappable, "localpart changes meaning under PRECIS", nil)
		}
	}
	return j, nil
}

// canonicalUnescape unescapes a localpart and reports whether it is the
// canonical escaping of the result, EscapeLocal's output. Only then is the
// mapping one to one: "\5cbar" and "\20x" unescape to text that escapes
// differently, and would share a SIP address with another JID.
func canonicalUnescape(local string) (string, bool) {
	if strings.IndexByte(local, '\\') < 0 {
		// A JID localpart holds none of the characters EscapeLocal escapes.
		return local, true
	}
	u := UnescapeLocal(local)
	return u, EscapeLocal(u) == local
}

// JIDToSIP maps a JID to a sip: URI (RFC 7247 §6.5). The localpart is
// XEP-0106-unescaped (step 3 and the general rule of §6.2) and every byte
// the SIP user production (RFC 3261 §25.1) does not allow is
// percent-encoded (step 5); the domainpart is the host, with Unicode
// labels as A-labels; a resourcepart becomes the gr parameter (step 8,
// §6.3), percent-encoded where the paramchar production requires. The
// scheme is sip: (step 7): sxgw does not use im:/pres: and does not
// originate sips:.
//
// In component mode the JID must be at opts.ComponentDomain and its
// unescaped localpart is the SIP address user@host.
//
// Errors are *Error values wrapping ErrUnmappable (no localpart, a
// localpart that is not the canonical XEP-0106 escaping of anything, so
// that two JIDs would share one SIP address; in component mode a JID
// elsewhere or a localpart that is no user@host) and ErrLoop when the SIP
// host is local (see AddressOptions.LocalDomains).
func JIDToSIP(j jid.JID, opts AddressOptions) (string, error) {
	local, domain := j.Localpart(), j.Domainpart()
	if local == "" {
		return "", addrError(ErrUnmappable, "no localpart", nil)
	}
	user, ok := canonicalUnescape(local)
	if !ok {
		return "", addrError(ErrUnmappable, "localpart is not canonically escaped", nil)
	}
	var host string
	if opts.ComponentDomain != "" {
		if !sameDomainName(domain, opts.ComponentDomain) {
			// Compare the A-label form too, for an IDN component domain.
			if h, ok := asciiHost(domain); !ok || !sameDomainName(h, opts.ComponentDomain) {
				return "", addrError(ErrUnmappable, "not at the component domain", nil)
			}
		}
		at := strings.LastIndexByte(user, '@')
		if at <= 0 {
			return "", addrError(ErrUnmappable, "localpart is no SIP address", nil)
		}
		h, ok := canonicalHost(user[at+1:])
		if !ok || h != user[at+1:] {
			return "", addrError(ErrUnmappable, "localpart is no SIP address", nil)
		}
		user, host = user[:at], h
		if opts.isLocal(host) {
			return "", addrError(ErrLoop, "", nil)
		}
	} else {
		h, ok := asciiHost(domain)
		if !ok {
			return "", addrError(ErrUnmappable, "domain is no SIP host", nil)
		}
		host = h
		if opts.isLocal(domain, host) {
			return "", addrError(ErrLoop, "", nil)
		}
	}
	res := j.Resourcepart()
	var b strings.Builder
	b.Grow(len("sip:@;gr=") + 3*len(user) + len(host) + 3*len(res))
	b.WriteString("sip:")
	b.WriteString(percentEncode(user, &sipUserChars))
	b.WriteByte('@')
	b.WriteString(host)
	if res != "" {
		b.WriteString(";gr=")
		b.WriteString(percentEncode(res, &sipParamChars))
	}
	return b.String(), nil
}
