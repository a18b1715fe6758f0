package xmpp

import (
	"context"
	"slices"
	"strings"
)

// IQs addressed to the users of a served domain (user@domain, with or
// without a resource), which this package answers for the core: Jingle
// requests, handed to the core's JingleInbound (jingle.go), and service
// discovery when Options.UserFeatures is set. Other IQs to users go to
// the handler.

// isUser reports whether a stanza's to names a user of a plain served
// domain: a localpart, and not a room domain (whose JIDs are rooms and
// occupants, roomiq.go).
func (r *router) isUser(to string) bool {
	bare, _, _ := strings.Cut(to, "/")
	return strings.Contains(bare, "@") && !r.isRoomDomain(domainOf(to))
}

// userIQ handles an IQ get or set to a user; false leaves it to the
// handler.
func (r *router) userIQ(ctx context.Context, st *Element) bool {
	if !r.isUser(st.Get("to")) {
		return false
	}
	payload := st.FirstChild()
	switch {
	case payload == nil:
		return false
	case payload.Name.Space == nsJingle && payload.Name.Local == "jingle":
		return r.jingleIQ(ctx, st)
	case payload.Name.Local == "query" && (payload.Name.Space == nsDiscoInfo || payload.Name.Space == nsDiscoItem):
		return r.userDisco(ctx, st, payload)
	}
	return false
}

// userFeatureList is the sorted feature list of users: the given
// features and the disco ones answered here; nil when none is given.
func userFeatureList(extra []string) []string {
	if len(extra) == 0 {
		return nil
	}
	feats := slices.Concat([]string{nsDiscoInfo, nsDiscoItem}, extra)
	feats = slices.DeleteFunc(feats, func(f string) bool { return f == "" })
	slices.Sort(feats)
	return slices.Compact(feats)
}

// Identities of users (XEP-0030 §3.1; categories and types from the
// Service Discovery Identities registry).
const (
	// A bare JID is answered by its server on behalf of the account,
	// whose primary identity SHOULD be account/registered.
	userCategoryBare, userTypeBare = "account", "registered"
	// A full JID is a device: a client, and behind a SIP gateway a
	// telephony one ("phone": a client running on a mobile phone or other
	// telephony device). The features, not the identity, tell a Jingle
	// client what it can call (XEP-0166 §11).
	userCategoryFull, userTypeFull = "client", "phone"
)

// userDisco answers disco#info and disco#items gets to a user when user
// features are configured (XEP-0030 §3.1, §4.1): the same answer for
// every localpart, so it tells nothing about which users exist
// (XEP-0030 §8). No node is known (item-not-found, §7); a user has no
// items (an empty result, §4.1).
func (r *router) userDisco(ctx context.Context, st, payload *Element) bool {
	if r.userFeatures == nil || st.Get("type") != "get" {
		return false
	}
	if payload.Get("node") != "" {
		r.reply(ctx, st, &StanzaError{Condition: ErrItemNotFound})
		return true
	}
	if payload.Name.Space == nsDiscoItem {
		r.result(ctx, st, NewElement(nsDiscoItem, "query"))
		return true
	}
	category, typ := userCategoryBare, userTypeBare
	if strings.Contains(st.Get("to"), "/") {
		category, typ = userCategoryFull, userTypeFull
	}
	q := NewElement(nsDiscoInfo, "query").Add(NewElement(nsDiscoInfo, "identity", "category", category, "type", typ))
	for _, f := range r.userFeatures {
		q.Add(NewElement(nsDiscoInfo, "feature", "var", f))
	}
	r.result(ctx, st, q)
	return true
}
