// Package simple holds the SIP payload codecs sxgw needs: PIDF/RPID
// (RFC 3863, RFC 4480), CPIM (RFC 3862), isComposing (RFC 3994), IMDN
// (RFC 5438) and conference-info (RFC 4575). Pure: bytes in, values out.
package simple
