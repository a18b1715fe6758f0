package sip

import (
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Credential is what sxgw answers a digest challenge with (RFC 3261
// §22.2; RFC 8760 adds SHA-256 and SHA-512/256): when a proxy or registrar
// of the SIP network asks the gateway to authenticate its requests.
type Credential struct {
	// Realm is the challenge's realm this credential is for; "" matches
	// any realm.
	Realm              string
	Username, Password string
}

// credentialFor returns the credential for realm: an exact match (RFC
// 3261 §22.1: realms compare case-sensitively) before a catch-all.
func (e *Endpoint) credentialFor(realm string) (Credential, bool) {
	var any *Credential
	for i, c := range e.o.Credentials {
		if c.Realm == realm {
			return c, true
		}
		if c.Realm == "" && any == nil {
			any = &e.o.Credentials[i]
		}
	}
	if any != nil {
		return *any, true
	}
	return Credential{}, false
}

// authorized returns req again with credentials for the challenges of res
// (401 WWW-Authenticate -> Authorization, 407 Proxy-Authenticate ->
// Proxy-Authorization, RFC 3261 §22.2, §22.3) and the next CSeq (§8.1.3.5:
// the new request is a new transaction of the same call), or false when
// no challenge can be answered: unknown realm, unsupported algorithm or
// qop, or a challenge that says our credentials are stale but were not.
func (e *Endpoint) authorized(req *sipgosip.Request, res *sipgosip.Response) (*sipgosip.Request, bool) {
	chName, authName := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		chName, authName = "Proxy-Authenticate", "Proxy-Authorization"
	}
	out := req.Clone()
	uri := req.Recipient.String()
	answered := false
	for _, h := range res.GetHeaders(chName) {
		if !digest.IsDigest(h.Value()) {
			continue
		}
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil || !digest.CanDigest(chal) {
			continue
		}
		cred, ok := e.credentialFor(chal.Realm)
		if !ok {
			continue
		}
		// RFC 3261 §22.4 (from RFC 2617): qop auth only; auth-int would
		// need the body hashed, which requests sxgw challenges rarely have.
		if len(chal.QOP) > 0 && !chal.SupportsQOP("auth") {
			continue
		}
		if len(chal.QOP) > 0 {
			chal.QOP = []string{"auth"}
		}
		c, err := digest.Digest(chal, digest.Options{Method: string(req.Method), URI: uri, Count: 1,
			Username: cred.Username, Password: cred.Password})
		if err != nil {
			continue
		}
		out.AppendHeader(sipgosip.NewHeader(authName, c.String()))
		answered = true
	}
	if !answered {
		return nil, false
	}
	if cs := out.CSeq(); cs != nil {
		cs.SeqNo++
	}
	return out, true
}

// cseqOf is the CSeq number of a response: the request's that got it.
func cseqOf(res *sipgosip.Response) uint32 {
	if res == nil || res.CSeq() == nil {
		return 0
	}
	return res.CSeq().SeqNo
}

// isChallenge reports a response that asks for credentials.
func isChallenge(res *sipgosip.Response) bool {
	return res != nil && (res.StatusCode == 401 || res.StatusCode == 407)
}

// hasAuthorization reports whether req already carries credentials: a
// second challenge to it means they were refused, not that one is missing.
func hasAuthorization(req *sipgosip.Request) bool {
	for _, n := range []string{"Authorization", "Proxy-Authorization"} {
		if req.GetHeader(n) != nil {
			return true
		}
	}
	return false
}

// realmsOf lists a challenge response's realms, for logs.
func realmsOf(res *sipgosip.Response) string {
	var out []string
	for _, n := range []string{"WWW-Authenticate", "Proxy-Authenticate"} {
		for _, h := range res.GetHeaders(n) {
			if chal, err := digest.ParseChallenge(h.Value()); err == nil {
				out = append(out, chal.Realm)
			}
		}
	}
	return strings.Join(out, ",")
}
