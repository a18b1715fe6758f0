package gateway

import (
	"sync"
	"sync/atomic"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// addrCacheMax bounds the addresses an addrCache remembers; when full it
// starts over empty, which costs one mapping per address seen again.
// addrCacheLongest is the longest URI remembered, so that the cache stays
// within a few MiB whatever URIs peers send.
const (
	addrCacheMax     = 8192
	addrCacheLongest = 256
)

// addrCache remembers SIP URIs already mapped to JIDs (RFC 7247 §3.2) for
// one set of AddressOptions. The mapping is a pure function of the URI,
// but its PRECIS profiles and escaping (RFC 7622 §3, XEP-0106) cost more
// than the rest of a message's translation, and a gateway sees the same
// few thousand correspondents over and over. Only successful mappings are
// kept; a refused URI is mapped (and refused) again each time.
type addrCache struct {
	opts translate.AddressOptions
	gen  atomic.Pointer[addrGen]
}

// addrGen is one generation of the cache: filled until addrCacheMax, then
// replaced by an empty one.
type addrGen struct {
	m sync.Map // string -> jid.JID
	n atomic.Int64
}

func newAddrCache(opts translate.AddressOptions) *addrCache {
	c := &addrCache{opts: opts}
	c.gen.Store(&addrGen{})
	return c
}

// jid maps uri as translate.SIPToJID does.
func (c *addrCache) jid(uri string) (jid.JID, error) {
	g := c.gen.Load()
	if v, ok := g.m.Load(uri); ok {
		return v.(jid.JID), nil
	}
	j, err := translate.SIPToJID(uri, c.opts)
	if err != nil || len(uri) > addrCacheLongest {
		return j, err
	}
	if g.n.Add(1) > addrCacheMax {
		c.gen.CompareAndSwap(g, &addrGen{})
		return j, nil
	}
	g.m.Store(uri, j)
	return j, nil
}
