package msrp

import (
	"fmt"
	"strings"
	"testing"
)

// The SDP offer of RFC 4975 §7.1.1 (Alice's INVITE), plus an audio line.
const offer = "v=0\r\no=alice 2890844526 2890844527 IN IP4 alicepc.example.com\r\ns=-\r\nc=IN IP4 alicepc.example.com\r\nt=0 0\r\n" +
	"m=audio 49170 RTP/AVP 0\r\n" +
	"m=message 7777 TCP/MSRP *\r\na=accept-types:text/plain\r\na=path:msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\na=setup:actpass\r\na=max-size:4096\r\n"

func TestParseAndAnswerMedia(t *testing.T) {
	m, idx, err := ParseMedia([]byte(offer))
	if err != nil || idx != 1 {
		t.Fatalf("ParseMedia: %+v %d %v", m, idx, err)
	}
	if m.Port != 7777 || m.TLS || len(m.Path) != 1 || m.Path[0].SessionID != "iau39soe2843z" ||
		strings.Join(m.AcceptTypes, " ") != "text/plain" || m.Setup != SetupActPass || m.MaxSize != 4096 {
		t.Fatalf("parsed %+v", m)
	}
	local, _ := ParsePath("msrp://192.0.2.1:2855/s3ss10n;tcp")
	ans, err := AnswerSDP([]byte(offer), idx, "192.0.2.1", 7, 1, Media{Port: 2855, Path: local,
		AcceptTypes: []string{"text/plain", "message/cpim"}, Setup: SetupPassive})
	if err != nil {
		t.Fatal(err)
	}
	s := string(ans)
	// RFC 3264 §6: as many m= lines as the offer; the audio one rejected.
	if strings.Count(s, "m=") != 2 || !strings.Contains(s, "m=audio 0 RTP/AVP 0\r\n") {
		t.Errorf("answer m-lines:\n%s", s)
	}
	back, i, err := ParseMedia(ans)
	if err != nil || i != 1 || back.Setup != SetupPassive || back.Path.String() != local.String() {
		t.Fatalf("answer does not parse back: %+v %d %v\n%s", back, i, err, s)
	}
	if _, _, err := ParseMedia([]byte("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")); err != ErrNoMedia {
		t.Errorf("audio only: %v, want ErrNoMedia", err)
	}
	if _, _, err := ParseMedia([]byte("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=message 7 TCP/MSRP *\r\n")); err == nil {
		t.Error("MSRP media without a=path accepted")
	}
}

func FuzzParseMedia(f *testing.F) {
	f.Add([]byte(offer))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\na=fingerprint:sha-1 00:01\r\n" +
		"m=message 7 TCP/TLS/MSRP *\r\na=path:msrps://h:7/x;tcp\r\na=fingerprint:" + rfcSHA256 + "\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, idx, err := ParseMedia(b)
		if err != nil || m.Port == 0 {
			return
		}
		out := BuildSDP("192.0.2.1", 1, 1, m)
		m2, _, err := ParseMedia(out)
		if err != nil || m2.Path.String() != m.Path.String() || m2.Setup != m.Setup || m2.TLS != m.TLS ||
			fmt.Sprint(m2.Fingerprints) != fmt.Sprint(m.Fingerprints) {
			t.Fatalf("round trip of %+v (index %d): %+v %v\n%s", m, idx, m2, err, out)
		}
	})
}
