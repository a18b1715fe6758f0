package jingle

import (
	"slices"
	"strings"
)

// override is the original media and proto of an m-line that the SDP
// parser would refuse.
type override struct {
	media, proto string
}

// pionMedia and pionProto report what pion/sdp accepts in an m-line; it
// refuses valid SDP such as m=image (T.38, RFC 3362) or proto udptl.
func pionMedia(m string) bool {
	switch m {
	case "audio", "video", "text", "application", "message":
		return true
	}
	return false
}

func pionProto(p string) bool {
	for p != "" {
		part, rest, _ := strings.Cut(p, "/")
		p = rest
		switch part {
		case "UDP", "RTP", "AVP", "SAVP", "SAVPF", "TLS", "DTLS", "SCTP", "AVPF", "TCP", "MSRP", "BFCP", "UDT", "IX", "MRCPv2", "FEC":
		default:
			return false
		}
	}
	return true
}

// lineRank is the RFC 4566 §5 position of a line type in the session
// section (media false) or a media section; 0 for unknown types, which
// keep the rank of the line before them.
func lineRank(typ byte, media bool) int {
	if media {
		switch typ {
		case 'i':
			return 1
		case 'c':
			return 2
		case 'b':
			return 3
		case 'k':
			return 4
		case 'a':
			return 5
		}
		return 0
	}
	switch typ {
	case 'v':
		return 1
	case 'o':
		return 2
	case 's':
		return 3
	case 'i':
		return 4
	case 'u':
		return 5
	case 'e':
		return 6
	case 'p':
		return 7
	case 'c':
		return 8
	case 'b':
		return 9
	case 't', 'r':
		return 10
	case 'z':
		return 11
	case 'k':
		return 12
	case 'a':
		return 13
	}
	return 0
}

// prepareSDP returns SDP text that pion/sdp, the independent parser the
// tests compare with, can read. pion insists on the
// RFC 4566 §5 line order and on a final newline, and refuses some valid
// m-lines, so prepareSDP:
//   - adds the final newline when missing;
//   - puts the lines of each section in RFC 4566 order when they are not
//     (SylkServer and Blink write t= before c=), keeping the order of
//     lines of the same type;
//   - rewrites m-lines whose media or proto the parser refuses to
//     "application <port> UDP <fmts>", returning their originals by m-line
//     index, so that they are reported as unsupported rather than the
//     whole SDP as malformed.
//
// It also checks that the session section has the v=, o=, s= and t= lines
// RFC 4566 §5 requires, which the parser does not. The common case,
// well-ordered SDP with known protos, costs one copy.
func prepareSDP(body []byte) (string, []override, error) {
	text := string(body)
	var overrides []override
	index, rank, media, reorder := 0, 0, false, false
	var required [4]bool // v o s t
	for rest := text; len(rest) > 0; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		if line[0] != 'm' {
			if !media {
				switch line[0] {
				case 'v':
					required[0] = true
				case 'o':
					required[1] = true
				case 's':
					required[2] = true
				case 't':
					required[3] = true
				}
			}
			if r := lineRank(line[0], media); r != 0 {
				reorder = reorder || r < rank
				rank = r
			}
			continue
		}
		media, rank = true, 0
		m, tail := field(strings.TrimSuffix(line[2:], "\r"))
		_, tail = field(tail)
		proto, _ := field(tail)
		if m != "" && (!pionMedia(m) || !pionProto(proto)) {
			for len(overrides) < index {
				overrides = append(overrides, override{})
			}
			overrides = append(overrides, override{media: m, proto: proto})
		}
		index++
		if index > MaxMedia {
			break
		}
	}
	if required != [4]bool{true, true, true, true} {
		return "", nil, sdpErr("missing v=, o=, s= or t=")
	}
	newline := len(text) > 0 && text[len(text)-1] == '\n'
	if overrides == nil && !reorder {
		if newline {
			return text, nil, nil
		}
		return text + "\r\n", nil, nil
	}

	type sdpLine struct {
		text string
		rank int
	}
	var (
		b       strings.Builder
		section []sdpLine
	)
	b.Grow(len(text) + 2)
	flush := func() {
		slices.SortStableFunc(section, func(x, y sdpLine) int { return x.rank - y.rank })
		for _, l := range section {
			b.WriteString(l.text)
			b.WriteString("\r\n")
		}
		section = section[:0]
	}
	index, rank, media = 0, 0, false
	for rest := text; len(rest) > 0; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if len(line) >= 2 && line[0] == 'm' && line[1] == '=' {
			flush()
			media, rank = true, 0
			if index < len(overrides) && overrides[index].media != "" {
				_, tail := field(line[2:])
				port, tail := field(tail)
				_, fmts := field(tail)
				line = "m=application " + port + " UDP " + fmts
			}
			index++
			b.WriteString(line)
			b.WriteString("\r\n")
			continue
		}
		if len(line) >= 2 && line[1] == '=' {
			if r := lineRank(line[0], media); r != 0 {
				rank = r
			}
		}
		section = append(section, sdpLine{text: line, rank: rank})
	}
	flush()
	return b.String(), overrides, nil
}
