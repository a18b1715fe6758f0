package jingle

// XML namespaces of Jingle and the extensions this package models.
const (
	// NSJingle is the Jingle core namespace (XEP-0166 §15.1).
	NSJingle = "urn:xmpp:jingle:1"
	// NSErrors qualifies the Jingle error conditions (XEP-0166 §10).
	NSErrors = "urn:xmpp:jingle:errors:1"
	// NSRTP is the RTP application format (XEP-0167 §15.1).
	NSRTP = "urn:xmpp:jingle:apps:rtp:1"
	// NSRTPErrors qualifies the RTP error conditions crypto-required and
	// invalid-crypto (XEP-0167 §7).
	NSRTPErrors = "urn:xmpp:jingle:apps:rtp:errors:1"
	// NSRTPInfo qualifies the RTP session-info payloads (XEP-0167 §8).
	NSRTPInfo = "urn:xmpp:jingle:apps:rtp:info:1"
	// NSRTPInfoLegacy is the misspelt namespace of the XEP-0166 ringing
	// example. It is accepted on input and never emitted.
	NSRTPInfoLegacy = "urn:xmpp:jingle:apps:rtp:1:info"
	// NSRTCPFB is RTP feedback negotiation (XEP-0293).
	NSRTCPFB = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0"
	// NSRTPHdrExt is RTP header extension negotiation (XEP-0294).
	NSRTPHdrExt = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0"
	// NSSSMA is source-specific media attributes (XEP-0339).
	NSSSMA = "urn:xmpp:jingle:apps:rtp:ssma:0"
	// NSZRTP is the ZRTP hash inside <encryption/> (XEP-0262).
	NSZRTP = "urn:xmpp:jingle:apps:rtp:zrtp:1"
	// NSGrouping is the grouping framework (XEP-0338).
	NSGrouping = "urn:xmpp:jingle:apps:grouping:0"
	// NSDTLS is DTLS-SRTP fingerprints (XEP-0320).
	NSDTLS = "urn:xmpp:jingle:apps:dtls:0"
	// NSICEUDP is the ICE-UDP transport (XEP-0176).
	NSICEUDP = "urn:xmpp:jingle:transports:ice-udp:1"
	// NSRawUDP is the Raw UDP transport (XEP-0177).
	NSRawUDP = "urn:xmpp:jingle:transports:raw-udp:1"
	// NSMessage is Jingle Message Initiation (XEP-0353).
	NSMessage = "urn:xmpp:jingle-message:0"
	// FeatureSDPOfferAnswer is the disco feature of an entity that wants
	// all candidates at once, e.g. a gateway to SIP (XEP-0176 §7.2).
	FeatureSDPOfferAnswer = "urn:ietf:rfc:3264"
	// FeatureGrouping is the disco feature of XEP-0338 (RFC 5888).
	FeatureGrouping = "urn:ietf:rfc:5888"
)
