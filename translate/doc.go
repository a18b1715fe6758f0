// Package translate holds the pure SIP<->XMPP mappings: addresses (RFC 7247 §3),
// errors (RFC 7247 §5), presence (RFC 8048), messages (RFC 7572), chat states,
// receipts and group chat. Values in, values out: nothing here does I/O.
package translate
