package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

const phoneOffer = "v=0\r\no=yealink 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" +
	"m=audio 11780 RTP/AVP 9 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendonly\r\n"

const msrpOnly = "v=0\r\no=- 1 1 IN IP4 192.0.2.31\r\ns=-\r\nt=0 0\r\nc=IN IP4 192.0.2.31\r\n" +
	"m=message 2855 TCP/TLS/MSRP *\r\na=path:msrps://192.0.2.31:2855/e7028b;tcp\r\n"

func runTool(args []string, stdin string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = sdpTool(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSDPTools(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdoutHas  []string
		stderrHas  string
		stderrNone bool
	}{
		{
			name: "offer", args: []string{"sdp2jingle", "-sid", "abc"}, stdin: phoneOffer, code: exitOK, stderrNone: true,
			stdoutHas: []string{`<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="abc">`, `senders="initiator"`,
				`<payload-type id="0" name="PCMU" clockrate="8000" channels="1" ptime="20">`, `<parameter name="" value="0-15">`,
				`<transport xmlns="urn:xmpp:jingle:transports:raw-udp:1"><candidate component="1" generation="0" id="rtp1" ip="192.0.2.10" port="11780">`},
		},
		{
			name: "answer written by the responder", args: []string{"sdp2jingle", "-action", "session-accept"}, stdin: phoneOffer, code: exitOK,
			stdoutHas: []string{`action="session-accept"`, `senders="responder"`, `sid="sxgw`},
		},
		{
			name: "role overrides the default", args: []string{"sdp2jingle", "-action", "session-accept", "-role", "initiator"}, stdin: phoneOffer, code: exitOK,
			stdoutHas: []string{`senders="initiator"`},
		},
		{
			name: "partly mappable", args: []string{"sdp2jingle"}, stdin: phoneOffer + "m=message 2855 TCP/TLS/MSRP *\r\n", code: exitOK,
			stdoutHas: []string{`name="audio"`}, stderrHas: "sxgw sdp2jingle: left out: jingle: media 1 (message TCP/TLS/MSRP): unsupported application\n",
		},
		{
			name: "nothing mappable", args: []string{"sdp2jingle"}, stdin: msrpOnly, code: exitUsage,
			stderrHas: "sxgw sdp2jingle: jingle: nothing mappable: media 0 (message TCP/TLS/MSRP): unsupported application (SIP 488 with Warning 304 \"Media type not available\"; Jingle reason unsupported-applications)\n",
		},
		{
			name: "malformed", args: []string{"sdp2jingle"}, stdin: "v=0\r\nhello\r\n", code: exitUsage,
			stderrHas: "(SIP 400)\n",
		},
		{name: "bad role", args: []string{"sdp2jingle", "-role", "callee"}, stdin: phoneOffer, code: exitUsage, stderrHas: "-role must be initiator or responder"},
		{name: "bad action", args: []string{"sdp2jingle", "-action", "ring"}, stdin: phoneOffer, code: exitUsage, stderrHas: `unknown -action "ring"`},
		{name: "extra argument", args: []string{"jingle2sdp", "x"}, code: exitUsage, stderrHas: "unexpected arguments"},
		{
			name: "jingle to sdp from an IQ", args: []string{"jingle2sdp", "-sess-id", "42"}, code: exitOK, stderrNone: true,
			stdin: `<iq xmlns="jabber:client" type="set" id="1"><jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s1">` +
				`<content creator="initiator" name="voice" senders="initiator"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="111" name="opus" clockrate="48000" channels="2"/><rtcp-mux/></description>` +
				`<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u" pwd="p"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">AA:BB</fingerprint>` +
				`<candidate component="1" foundation="1" generation="0" id="c1" ip="192.0.2.5" port="5000" priority="2130706431" protocol="udp" type="host"/></transport></content></jingle></iq>`,
			stdoutHas: []string{"o=- 42 1 IN IP4 192.0.2.5\r\n", "m=audio 5000 UDP/TLS/RTP/SAVPF 111\r\n", "a=setup:actpass\r\n", "a=sendonly\r\n",
				"a=candidate:1 1 udp 2130706431 192.0.2.5 5000 typ host generation 0\r\n"},
		},
		{
			name: "jingle without an SDP form", args: []string{"jingle2sdp"}, code: exitUsage,
			stdin: `<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s1"><content creator="initiator" name="f">` +
				`<description xmlns="urn:xmpp:jingle:apps:file-transfer:5"/><transport xmlns="urn:xmpp:jingle:transports:s5b:1"/></content></jingle>`,
			stderrHas: "Jingle reason unsupported-applications)\n",
		},
		{name: "not jingle", args: []string{"jingle2sdp"}, stdin: `<message xmlns="jabber:client"/>`, code: exitUsage, stderrHas: "(XMPP bad-request)\n"},
		{
			name: "invalid jingle", args: []string{"jingle2sdp"}, code: exitUsage, stderrHas: "(XMPP bad-request)\n",
			stdin: `<jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="s1"/>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runTool(tt.args, tt.stdin)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, errOut)
			}
			for _, s := range tt.stdoutHas {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			if tt.stderrHas != "" && !strings.Contains(errOut, tt.stderrHas) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderrHas)
			}
			if tt.stderrNone && errOut != "" {
				t.Errorf("stderr %q", errOut)
			}
			if code == exitUsage && tt.stdin != "" && out != "" {
				t.Errorf("stdout on failure: %q", out)
			}
			if code != exitOK && strings.Count(errOut, "\n") != 1 && !strings.Contains(errOut, "Usage") {
				t.Errorf("want one line on stderr: %q", errOut)
			}
		})
	}
}

// TestSDPToolsRoundTrip pipes sdp2jingle into jingle2sdp: the SIP
// party's offer comes back as the Jingle party's answer.
func TestSDPToolsRoundTrip(t *testing.T) {
	code, x, errOut := runTool([]string{"sdp2jingle", "-sid", "rt"}, phoneOffer)
	if code != exitOK {
		t.Fatalf("sdp2jingle: %d %s", code, errOut)
	}
	// Written back for the same party (role initiator), directions and
	// codecs survive.
	code, sdp, errOut := runTool([]string{"jingle2sdp", "-role", "responder"}, x)
	if code != exitOK {
		t.Fatalf("jingle2sdp: %d %s", code, errOut)
	}
	for _, want := range []string{"m=audio 11780 RTP/AVP 9 0 101\r\n", "c=IN IP4 192.0.2.10\r\n", "a=sendonly\r\n",
		"a=rtpmap:9 G722/8000\r\n", "a=rtpmap:0 PCMU/8000\r\n", "a=fmtp:101 0-15\r\n", "a=ptime:20\r\n"} {
		if !strings.Contains(sdp, want) {
			t.Errorf("lacks %q:\n%s", want, sdp)
		}
	}
}

// TestRunDispatchesSDPTools: run hands the tool names to sdpTool (the flag
// error proves it without reading stdin).
func TestRunDispatchesSDPTools(t *testing.T) {
	for _, tool := range []string{"sdp2jingle", "jingle2sdp"} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{tool, "-bogus"}, &out, &errOut); code != exitUsage {
			t.Errorf("%s: exit %d", tool, code)
		}
		if !strings.Contains(errOut.String(), "flag provided but not defined: -bogus") || !strings.Contains(errOut.String(), "sxgw "+tool) {
			t.Errorf("%s: stderr %q", tool, errOut.String())
		}
	}
}
