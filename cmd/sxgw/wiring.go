package main

import (
	"github.com/sxgw/sxgw/gateway"
	"github.com/sxgw/sxgw/sip"
	"github.com/sxgw/sxgw/xmpp"
)

// The sides find the core's optional parts (rooms, calls, receipts) and
// the core finds theirs by type assertion, since sip, xmpp and gateway do
// not import each other. These assertions make a signature that drifts a
// build failure instead of a feature that silently switches off.
var (
	_ sip.ChatInbound        = (*gateway.Gateway)(nil)
	_ sip.RoomInbound        = (*gateway.Gateway)(nil)
	_ sip.ChatReceiptInbound = (*gateway.Gateway)(nil)
	_ sip.MessageStarter     = (*gateway.Gateway)(nil)
	_ xmpp.Inbound           = (*gateway.Gateway)(nil)
	_ xmpp.RoomInbound       = (*gateway.Gateway)(nil)
	_ xmpp.RoomPinger        = (*gateway.Gateway)(nil)
	_ xmpp.JingleInbound     = (*gateway.Gateway)(nil)

	_ gateway.SIPSender         = (*sip.Endpoint)(nil)
	_ gateway.CallSender        = (*sip.Endpoint)(nil)
	_ gateway.ChatReceiptSender = (*sip.Endpoint)(nil)
	_ gateway.XMPPSender        = (*xmpp.S2S)(nil)
	_ gateway.JingleSender      = (*xmpp.S2S)(nil)
	_ gateway.XMPPSender        = (*xmpp.Component)(nil)
	_ gateway.JingleSender      = (*xmpp.Component)(nil)
)
