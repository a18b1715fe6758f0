package jingle

// staticPT is an RFC 3551 §6 static payload type.
type staticPT struct {
	name      string
	clockRate uint32
	channels  uint8
}

// static returns the RFC 3551 §6 (Tables 4 and 5) entry for id, ok false
// when id is not a static payload type. G722 keeps its clock rate of 8000
// (RFC 3551 §4.5.2), as SDP does.
func static(id uint8) (staticPT, bool) {
	switch id {
	case 0:
		return staticPT{"PCMU", 8000, 1}, true
	case 3:
		return staticPT{"GSM", 8000, 1}, true
	case 4:
		return staticPT{"G723", 8000, 1}, true
	case 5:
		return staticPT{"DVI4", 8000, 1}, true
	case 6:
		return staticPT{"DVI4", 16000, 1}, true
	case 7:
		return staticPT{"LPC", 8000, 1}, true
	case 8:
		return staticPT{"PCMA", 8000, 1}, true
	case 9:
		return staticPT{"G722", 8000, 1}, true
	case 10:
		return staticPT{"L16", 44100, 2}, true
	case 11:
		return staticPT{"L16", 44100, 1}, true
	case 12:
		return staticPT{"QCELP", 8000, 1}, true
	case 13:
		return staticPT{"CN", 8000, 1}, true
	case 14:
		return staticPT{"MPA", 90000, 0}, true
	case 15:
		return staticPT{"G728", 8000, 1}, true
	case 16:
		return staticPT{"DVI4", 11025, 1}, true
	case 17:
		return staticPT{"DVI4", 22050, 1}, true
	case 18:
		return staticPT{"G729", 8000, 1}, true
	case 25:
		return staticPT{"CelB", 90000, 0}, true
	case 26:
		return staticPT{"JPEG", 90000, 0}, true
	case 28:
		return staticPT{"nv", 90000, 0}, true
	case 31:
		return staticPT{"H261", 90000, 0}, true
	case 32:
		return staticPT{"MPV", 90000, 0}, true
	case 33:
		return staticPT{"MP2T", 90000, 0}, true
	case 34:
		return staticPT{"H263", 90000, 0}, true
	}
	return staticPT{}, false
}
