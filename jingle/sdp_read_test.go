package jingle

import (
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

// marshal writes d back as SDP: v=, o=, s=, the session c=, the other
// session lines in order, then each media description the same way. What
// parse keeps, marshal writes, so parse(marshal(d)) equals d.
func (d *sdpDesc) marshal() string {
	var b strings.Builder
	o := &d.origin
	b.WriteString("v=0\r\no=" + o.username + " " + strconv.FormatUint(o.sessID, 10) + " " +
		strconv.FormatUint(o.sessVer, 10) + " " + o.netType)
	if o.addrType != "" {
		b.WriteString(" " + o.addrType)
		if o.addr != "" {
			b.WriteString(" " + o.addr)
		}
	}
	b.WriteString("\r\ns=" + d.name + "\r\n")
	d.sdpSection.marshal(&b)
	for i := range d.media {
		md := &d.media[i]
		b.WriteString("m=" + md.media + " " + strconv.Itoa(int(md.port)))
		if md.portCount != "" {
			b.WriteString("/" + md.portCount)
		}
		b.WriteString(" " + md.proto)
		if md.fmts != "" {
			b.WriteString(" " + md.fmts)
		}
		b.WriteString("\r\n")
		md.sdpSection.marshal(&b)
	}
	return b.String()
}

func (s *sdpSection) marshal(b *strings.Builder) {
	if s.hasConn {
		b.WriteString("c=" + s.conn.netType + " " + s.conn.addrType)
		if s.conn.addr != "" {
			b.WriteString(" " + s.conn.addr)
		}
		b.WriteString("\r\n")
	}
	for _, l := range s.lines {
		b.WriteByte(l.typ)
		b.WriteByte('=')
		if l.typ == 'a' {
			b.WriteString(l.key)
			if l.value != "" {
				b.WriteString(":")
			}
		}
		b.WriteString(l.value)
		b.WriteString("\r\n")
	}
}

func mustParse(t testing.TB, text string) *sdpDesc {
	t.Helper()
	var d sdpDesc
	if err := d.parse(text); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return &d
}

func TestReadSDP(t *testing.T) {
	const head = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\n"
	d := mustParse(t, "v=0\no=alice 2890844526 2890842807 IN IP4 192.0.2.1\ns=call\ni=info\nu=http://example.com/\n"+
		"e=a@example.com\ne=b@example.com\np=+1 555\nc=IN IP4 192.0.2.1\nb=AS:64\nb=X-NEW:5\nt=0 0\nr=7d 1h 0 25h\n"+
		"z=2882844526 -1h 2898848070 0\nk=prompt\na=group:BUNDLE a v\na=ice-lite\n"+
		"m=audio 49170/2 RTP/AVP  0 8 \ni=voice\nc=IN IP6 2001:db8::1\nc=IN IP4 192.0.2.2/127\nb=TIAS:64000\nk=clear:x\na=rtpmap:0 PCMU/8000\na=:odd\na=\n"+
		"m=image 0 udptl t38\n\n")
	want := sdpDesc{
		sdpSection: sdpSection{
			conn: sdpConn{"IN", "IP4", "192.0.2.1"}, hasConn: true,
			lines: []sdpLine{
				{typ: 'i', value: "info"}, {typ: 'u', value: "http://example.com/"},
				{typ: 'e', value: "a@example.com"}, {typ: 'e', value: "b@example.com"}, {typ: 'p', value: "+1 555"},
				{typ: 'b', value: "AS:64"}, {typ: 'b', value: "X-NEW:5"}, {typ: 't', value: "0 0"},
				{typ: 'r', value: "7d 1h 0 25h"}, {typ: 'z', value: "2882844526 -1h 2898848070 0"}, {typ: 'k', value: "prompt"},
				{typ: 'a', key: "group", value: "BUNDLE a v"}, {typ: 'a', key: "ice-lite"},
			},
		},
		origin: sdpOrigin{username: "alice", sessID: 2890844526, sessVer: 2890842807, netType: "IN", addrType: "IP4", addr: "192.0.2.1"},
		name:   "call",
		media: []sdpMedia{
			{
				sdpSection: sdpSection{
					conn: sdpConn{"IN", "IP4", "192.0.2.2/127"}, hasConn: true,
					lines: []sdpLine{
						{typ: 'i', value: "voice"}, {typ: 'b', value: "TIAS:64000"}, {typ: 'k', value: "clear:x"},
						{typ: 'a', key: "rtpmap", value: "0 PCMU/8000"}, {typ: 'a', key: ":odd"}, {typ: 'a'},
					},
				},
				media: "audio", port: 49170, portCount: "2", proto: "RTP/AVP", fmts: "0 8",
			},
			{media: "image", proto: "udptl", fmts: "t38", sdpSection: sdpSection{lines: []sdpLine{}}},
		},
	}
	if !reflect.DeepEqual(*d, want) {
		t.Fatalf("got  %+v\nwant %+v", *d, want)
	}
	if v, ok := d.media[0].attr("rtpmap"); !ok || v != "0 PCMU/8000" {
		t.Errorf("attr rtpmap = %q %v", v, ok)
	}
	if _, ok := d.media[1].attr("rtpmap"); ok {
		t.Error("attr of another section")
	}

	good := []struct{ name, text string }{
		{"LF and no final newline", "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0"},
		{"t= before c= (Sylk, Blink)", head + "t=0 0\r\nc=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\n"},
		{"attributes before c= and b=", head + "t=0 0\r\nm=audio 1 RTP/AVP 0\r\na=sendrecv\r\nc=IN IP4 192.0.2.1\r\nb=AS:1\r\n"},
		{"o= without address (cameras)", "v=0\r\no=- 1 2 IN\r\ns=-\r\nt=0 0\r\n"},
		{"c= without address", head + "c=IN IP4\r\nt=0 0\r\n"},
		{"empty s=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=\r\nt=0 0\r\n"},
		{"blank lines", "\r\n" + head + "\r\nt=0 0\r\n\r\n\r\n"},
		{"m= without formats", head + "t=0 0\r\nm=message 0 TCP/MSRP\r\n"},
		{"sess-id beyond 64 bits", "v=0\r\no=- 123456789012345678901234567890 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"},
		{"several t= with r=", head + "t=1 2\r\nr=1 2\r\nt=3 4\r\nr=1d 2h 3m 4s\r\n"},
		{"most m-lines", head + "t=0 0\r\n" + strings.Repeat("m=audio 1 RTP/AVP 0\r\n", MaxMedia)},
		{"longest line", head + "t=0 0\r\na=x:" + strings.Repeat("y", MaxSDPLine-4) + "\r\n"},
		{"most lines", head + "t=0 0\r\n" + strings.Repeat("a=x\r\n", MaxSDPLines-5)},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) { mustParse(t, tt.text) })
	}

	bad := []struct {
		name, text string
		tooLarge   bool
	}{
		{name: "empty"},
		{name: "garbage", text: "hello"},
		{name: "only v=", text: "v=0\r\n"},
		{name: "no t=", text: head + "m=audio 1 RTP/AVP 0\r\n"},
		{name: "t= only in media", text: head + "m=audio 1 RTP/AVP 0\r\nt=0 0\r\n"},
		{name: "no v=", text: "o=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"},
		{name: "o= before v=", text: "o=- 1 2 IN IP4 192.0.2.1\r\nv=0\r\ns=-\r\nt=0 0\r\n"},
		{name: "s= before o=", text: "v=0\r\ns=-\r\no=- 1 2 IN IP4 192.0.2.1\r\nt=0 0\r\n"},
		{name: "version 1", text: "v=1\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"},
		{name: "empty version", text: "v=\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"},
		{name: "second v=", text: head + "v=0\r\nt=0 0\r\n"},
		{name: "second s=", text: head + "s=x\r\nt=0 0\r\n"},
		{name: "sess-id not a number", text: "v=0\r\no=- x 2 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"},
		{name: "o= too short", text: "v=0\r\no=- 1 2\r\ns=-\r\nt=0 0\r\n"},
		{name: "o= nettype", text: "v=0\r\no=- 1 2 ATM NSAP x\r\ns=-\r\nt=0 0\r\n"},
		{name: "o= extra field", text: "v=0\r\no=- 1 2 IN IP4 192.0.2.1 x\r\ns=-\r\nt=0 0\r\n"},
		{name: "unknown type letter", text: head + "t=0 0\r\nx=1\r\n"},
		{name: "upper-case type letter", text: head + "t=0 0\r\nA=1\r\n"},
		{name: "no '='", text: head + "t=0 0\r\na\r\n"},
		{name: "blank line of spaces", text: head + "t=0 0\r\n \r\n"},
		{name: "CR inside a line", text: head + "t=0 0\r\na=x\ry\r\n"},
		{name: "CR line ends only", text: "v=0\ro=- 1 2 IN IP4 192.0.2.1\rs=-\rt=0 0\r"},
		{name: "NUL", text: head + "t=0 0\r\na=x\x00\r\n"},
		{name: "two session c=", text: head + "c=IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"},
		{name: "c= addrtype", text: head + "c=IN X25 1\r\nt=0 0\r\n"},
		{name: "c= extra field", text: head + "c=IN IP4 192.0.2.1 x\r\nt=0 0\r\n"},
		{name: "b= without ':'", text: head + "b=AS\r\nt=0 0\r\n"},
		{name: "b= not a number", text: head + "t=0 0\r\nm=audio 1 RTP/AVP 0\r\nb=AS:x\r\n"},
		{name: "b= beyond 64 bits", text: head + "b=AS:18446744073709551616\r\nt=0 0\r\n"},
		{name: "t= one field", text: head + "t=0\r\n"},
		{name: "t= three fields", text: head + "t=0 0 0\r\n"},
		{name: "r= before t=", text: head + "r=1 2\r\nt=0 0\r\n"},
		{name: "r= one field", text: head + "t=0 0\r\nr=1\r\n"},
		{name: "r= unit", text: head + "t=0 0\r\nr=1w 2\r\n"},
		{name: "z= odd", text: head + "t=0 0\r\nz=1 -1h 2\r\n"},
		{name: "two i=", text: head + "i=a\r\ni=b\r\nt=0 0\r\n"},
		{name: "two media k=", text: head + "t=0 0\r\nm=audio 1 RTP/AVP 0\r\nk=prompt\r\nk=prompt\r\n"},
		{name: "u= in media", text: head + "t=0 0\r\nm=audio 1 RTP/AVP 0\r\nu=http://x/\r\n"},
		{name: "e= in media", text: head + "t=0 0\r\nm=audio 1 RTP/AVP 0\r\ne=a@b\r\n"},
		{name: "port too big", text: head + "t=0 0\r\nm=audio 65536 RTP/AVP 0\r\n"},
		{name: "port signed", text: head + "t=0 0\r\nm=audio +1 RTP/AVP 0\r\n"},
		{name: "port count empty", text: head + "t=0 0\r\nm=audio 1/ RTP/AVP 0\r\n"},
		{name: "m= without proto", text: head + "t=0 0\r\nm=audio 1\r\n"},
		{name: "m= proto with an empty part", text: head + "t=0 0\r\nm=audio 1 UDP/ TLS/RTP/SAVPF 0\r\n"},
		{name: "m= proto ends with '/'", text: head + "t=0 0\r\nm=audio 1 RTP/AVP/ 0\r\n"},
		{name: "too many m-lines", text: head + "t=0 0\r\n" + strings.Repeat("m=audio 1 RTP/AVP 0\r\n", MaxMedia+1), tooLarge: true},
		{name: "line too long", text: head + "t=0 0\r\na=x:" + strings.Repeat("y", MaxSDPLine-3) + "\r\n", tooLarge: true},
		{name: "too many lines", text: head + "t=0 0\r\n" + strings.Repeat("\r\n", MaxSDPLines), tooLarge: true},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var d sdpDesc
			err := d.parse(tt.text)
			if !errors.Is(err, ErrMalformedSDP) || errors.Is(err, ErrTooLarge) != tt.tooLarge {
				t.Fatalf("error %v", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "jingle: ") || strings.ContainsAny(msg, "\r\n") || len(msg) > 200 {
				t.Errorf("message %q", msg)
			}
		})
	}
}

// pionView is what the translator takes from a parsed SDP, in a form
// both parsers can be brought to.
type pionView struct {
	sessID, sessVer uint64
	conn            string
	bandwidth       []string
	attrs           []string
	media           []pionMediaView
}

type pionMediaView struct {
	media, proto, port, conn string
	formats                  []string
	bandwidth, attrs         []string
}

func attrStrings(keys, values func(int) string, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = keys(i) + "|" + values(i)
	}
	return out
}

func viewOfPion(sd *sdp.SessionDescription, overrides []override) pionView {
	v := pionView{sessID: sd.Origin.SessionID, sessVer: sd.Origin.SessionVersion}
	if ci := sd.ConnectionInformation; ci != nil && ci.Address != nil {
		v.conn = ci.Address.Address
	}
	bw := func(bs []sdp.Bandwidth) []string {
		var out []string
		for _, b := range bs {
			typ := b.Type
			if b.Experimental {
				typ = "X-" + typ
			}
			out = append(out, typ+":"+strconv.FormatUint(b.Bandwidth, 10))
		}
		return out
	}
	attrs := func(as []sdp.Attribute) []string {
		return attrStrings(func(i int) string { return as[i].Key }, func(i int) string { return as[i].Value }, len(as))
	}
	v.bandwidth, v.attrs = bw(sd.Bandwidth), attrs(sd.Attributes)
	for i, md := range sd.MediaDescriptions {
		mv := pionMediaView{
			media: md.MediaName.Media, proto: strings.Join(md.MediaName.Protos, "/"), port: md.MediaName.Port.String(),
			formats: md.MediaName.Formats, bandwidth: bw(md.Bandwidth), attrs: attrs(md.Attributes),
		}
		if i < len(overrides) && overrides[i].media != "" {
			mv.media, mv.proto = overrides[i].media, overrides[i].proto
		}
		if ci := md.ConnectionInformation; ci != nil && ci.Address != nil {
			mv.conn = ci.Address.Address
		}
		v.media = append(v.media, mv)
	}
	return v
}

func viewOfDesc(d *sdpDesc) pionView {
	v := pionView{sessID: d.origin.sessID, sessVer: d.origin.sessVer, conn: d.conn.addr}
	bw := func(ls []sdpLine) []string {
		var out []string
		for _, l := range ls {
			if l.typ == 'b' {
				typ, n := bandwidthValue(l.value)
				out = append(out, typ+":"+strconv.FormatUint(n, 10))
			}
		}
		return out
	}
	attrs := func(ls []sdpLine) []string {
		var as []sdpLine
		for _, l := range ls {
			if l.typ == 'a' {
				as = append(as, l)
			}
		}
		return attrStrings(func(i int) string { return as[i].key }, func(i int) string { return as[i].value }, len(as))
	}
	v.bandwidth, v.attrs = bw(d.lines), attrs(d.lines)
	for i := range d.media {
		md := &d.media[i]
		port := strconv.Itoa(int(md.port))
		if md.portCount != "" {
			port += "/" + md.portCount
		}
		mv := pionMediaView{media: md.media, proto: md.proto, port: port, conn: md.conn.addr, bandwidth: bw(md.lines), attrs: attrs(md.lines)}
		for rest := md.fmts; rest != ""; {
			var f string
			f, rest = field(rest)
			mv.formats = append(mv.formats, f)
		}
		v.media = append(v.media, mv)
	}
	return v
}

// TestReadSDPVsPion: on every vector, the reader finds the same media
// sections, attributes and values as pion/sdp (given the vector in the
// line order pion insists on).
func TestReadSDPVsPion(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sdp")
	if len(files) < 10 {
		t.Fatalf("%d vectors", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			body := readVector(t, name)
			text, overrides, err := prepareSDP(body)
			if err != nil {
				t.Fatal(err)
			}
			var sd sdp.SessionDescription
			if err := sd.UnmarshalString(text); err != nil {
				t.Fatalf("pion: %v", err)
			}
			d := mustParse(t, string(body))
			if len(d.media) == 0 {
				t.Fatal("no media")
			}
			if got, want := viewOfDesc(d), viewOfPion(&sd, overrides); !reflect.DeepEqual(got, want) {
				t.Errorf("reader %+v\npion   %+v", got, want)
			}
		})
	}
}

// FuzzReadSDP: the reader never panics, errors are ErrMalformedSDP, what
// it reads it writes back into SDP that reads the same (and writes the
// same again), and when pion/sdp also reads the input both find the same
// sections, attributes and values.
func FuzzReadSDP(f *testing.F) {
	addSeeds(f, "*.sdp")
	f.Add([]byte("v=0\no=- 1 2 IN\ns=\nt=0 0\nr=1d 2h 0\nz=1 -1h\nm=audio 1/2 RTP/AVP 0\nc=IN IP4 x\nc=IN IP6 y\nb=X-A:1\na=:x\na=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d sdpDesc
		if err := d.parse(string(data)); err != nil {
			if !errors.Is(err, ErrMalformedSDP) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out := d.marshal()
		var d2 sdpDesc
		if err := d2.parse(out); err != nil {
			t.Fatalf("own output rejected: %v\n%q", err, out)
		}
		if !reflect.DeepEqual(d, d2) {
			t.Fatalf("reparse differs\n%+v\n%+v", d, d2)
		}
		if out2 := d2.marshal(); out2 != out {
			t.Fatalf("unstable\n%q\n%q", out, out2)
		}
		text := string(data)
		if !strings.HasSuffix(text, "\n") {
			text += "\r\n"
		}
		var sd sdp.SessionDescription
		if sd.UnmarshalString(text) != nil {
			return
		}
		if got, want := viewOfDesc(&d), viewOfPion(&sd, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("reader and pion differ\nreader %+v\npion   %+v", got, want)
		}
	})
}
