package msrp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// SDP values of MSRP media (RFC 4975 §8.1, RFC 6135, RFC 7701 §5).
const (
	ProtoTCP = "TCP/MSRP"
	ProtoTLS = "TCP/TLS/MSRP"

	SetupActive  = "active"
	SetupPassive = "passive"
	SetupActPass = "actpass"
)

// ErrNoMedia reports an SDP without a usable MSRP media line.
var ErrNoMedia = errors.New("msrp: no usable MSRP media in SDP")

// Media is the MSRP part of an SDP offer or answer.
type Media struct {
	// Port is the m= port; 0 rejects the stream (RFC 3264 §6).
	Port int
	// TLS selects TCP/TLS/MSRP (msrps: paths).
	TLS bool
	// Path is a=path: the URIs, the peer's own last (RFC 4975 §8.2).
	Path Path
	// AcceptTypes and AcceptWrappedTypes are a=accept-types and
	// a=accept-wrapped-types (RFC 4975 §8.6).
	AcceptTypes, AcceptWrappedTypes []string
	// MaxSize is a=max-size, 0 when absent (RFC 4975 §8.6).
	MaxSize int64
	// Setup is a=setup (RFC 6135 §4.1): active, passive or actpass; ""
	// when absent, which means the RFC 4975 §5.4 default: the offerer
	// listens and the answerer connects.
	Setup string
	// Chatroom are the a=chatroom tokens (RFC 7701 §6: nickname,
	// private-messages).
	Chatroom []string
	// Fingerprints are the a=fingerprint values of TLS media (RFC 8122
	// §5, RFC 4975 §14.4): those of the media section, else those of the
	// session level. ParseMedia reads them for TLS media only.
	Fingerprints []Fingerprint
}

// ParseMedia returns the first MSRP media section of an SDP body with its
// index among the m= lines, or ErrNoMedia.
func ParseMedia(body []byte) (Media, int, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return Media{}, -1, fmt.Errorf("msrp: sdp: %w", err)
	}
	for i, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "message" {
			continue
		}
		proto := strings.Join(md.MediaName.Protos, "/")
		if proto != ProtoTCP && proto != ProtoTLS {
			continue
		}
		m := Media{Port: md.MediaName.Port.Value, TLS: proto == ProtoTLS}
		var fps []string // a=fingerprint values of the media section
		for _, a := range md.Attributes {
			switch a.Key {
			case "path":
				p, err := ParsePath(a.Value)
				if err != nil {
					return Media{}, i, fmt.Errorf("msrp: sdp a=path: %w", err)
				}
				m.Path = p
			case "accept-types":
				m.AcceptTypes = strings.Fields(a.Value)
			case "accept-wrapped-types":
				m.AcceptWrappedTypes = strings.Fields(a.Value)
			case "max-size":
				n, err := strconv.ParseInt(strings.TrimSpace(a.Value), 10, 64)
				if err == nil && n > 0 {
					m.MaxSize = n
				}
			case "setup":
				switch v := strings.ToLower(strings.TrimSpace(a.Value)); v {
				case SetupActive, SetupPassive, SetupActPass, "holdconn":
					m.Setup = v
				}
			case "chatroom":
				m.Chatroom = strings.Fields(a.Value)
			case "fingerprint":
				fps = append(fps, a.Value)
			}
		}
		if m.TLS {
			// RFC 8122 §5: a session-level fingerprint applies to the
			// media without one of their own.
			if len(fps) == 0 {
				for _, a := range sd.Attributes {
					if a.Key == "fingerprint" {
						fps = append(fps, a.Value)
					}
				}
			}
			for _, v := range fps {
				fp, err := ParseFingerprint(v)
				if err != nil {
					return Media{}, i, fmt.Errorf("msrp: sdp a=fingerprint: %w", err)
				}
				m.Fingerprints = append(m.Fingerprints, fp)
			}
		}
		if m.Port != 0 && len(m.Path) == 0 {
			return Media{}, i, fmt.Errorf("msrp: sdp: MSRP media without a=path: %w", ErrNoMedia)
		}
		if m.Port != 0 && m.Path[0].Secure != m.TLS {
			// RFC 4975 §6, §8.1: TCP/TLS/MSRP is reached at an msrps URI,
			// TCP/MSRP at an msrp one.
			return Media{}, i, fmt.Errorf("msrp: sdp: %s media with a=path %s: %w", proto, m.Path[0].Scheme(), ErrSchemeMismatch)
		}
		return m, i, nil
	}
	return Media{}, -1, ErrNoMedia
}

// BuildSDP renders an SDP body with one MSRP media section (RFC 4975
// §8.1): host is the address of c= and o=, id/version the o= session id
// and version.
func BuildSDP(host string, id, version uint64, m Media) []byte {
	return buildSDP(host, id, version, nil, -1, m)
}

// AnswerSDP answers an offer (RFC 3264 §6): the MSRP media section at
// index gets m, every other media section is rejected with port 0, so the
// answer has as many m= lines as the offer.
func AnswerSDP(offer []byte, index int, host string, id, version uint64, m Media) ([]byte, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(offer)); err != nil {
		return nil, fmt.Errorf("msrp: sdp: %w", err)
	}
	return buildSDP(host, id, version, sd.MediaDescriptions, index, m), nil
}

func buildSDP(host string, id, version uint64, offered []*sdp.MediaDescription, index int, m Media) []byte {
	addrType := "IP4"
	if strings.Contains(host, ":") {
		addrType = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=- %d %d IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n", id, version, addrType, host, addrType, host)
	writeMSRP := func() {
		proto := ProtoTCP
		if m.TLS {
			proto = ProtoTLS
		}
		fmt.Fprintf(&b, "m=message %d %s *\r\n", m.Port, proto)
		if len(m.Path) > 0 {
			b.WriteString("a=path:" + m.Path.String() + "\r\n")
		}
		if len(m.AcceptTypes) > 0 {
			b.WriteString("a=accept-types:" + strings.Join(m.AcceptTypes, " ") + "\r\n")
		}
		if len(m.AcceptWrappedTypes) > 0 {
			b.WriteString("a=accept-wrapped-types:" + strings.Join(m.AcceptWrappedTypes, " ") + "\r\n")
		}
		if m.MaxSize > 0 {
			b.WriteString("a=max-size:" + strconv.FormatInt(m.MaxSize, 10) + "\r\n")
		}
		if m.Setup != "" {
			b.WriteString("a=setup:" + m.Setup + "\r\n")
		}
		for _, fp := range m.Fingerprints {
			b.WriteString("a=fingerprint:" + fp.String() + "\r\n")
		}
		if len(m.Chatroom) > 0 {
			b.WriteString("a=chatroom:" + strings.Join(m.Chatroom, " ") + "\r\n")
		}
	}
	if offered == nil {
		writeMSRP()
		return []byte(b.String())
	}
	for i, md := range offered {
		if i == index {
			writeMSRP()
			continue
		}
		// Rejected: same media and proto, port 0, the offered formats.
		fmt.Fprintf(&b, "m=%s 0 %s %s\r\n", md.MediaName.Media, strings.Join(md.MediaName.Protos, "/"), strings.Join(md.MediaName.Formats, " "))
	}
	return []byte(b.String())
}
