package jingle

import "strconv"

// ApplyTransportInfo merges a transport-info into contents, the session's
// current contents, so that an SDP written later for a SIP peer without
// trickle carries every candidate (XEP-0176 §5.5, NOTES §5 item 18).
// Candidates are added unless their id is known; a new ufrag is an ICE
// restart (XEP-0176 §5.9) that replaces the credentials and candidates;
// a fingerprint, gathering-complete and remote candidates are taken over.
// Transports are replaced, never modified in place, so other holders of
// the old ones see no change.
//
// restarted lists the contents whose ICE restarted. Errors are
// *SchemaError (bad-request): another action, an unknown content, a
// content without ICE-UDP, a restart without pwd, or more than
// MaxCandidates; contents is unchanged then.
func ApplyTransportInfo(contents []Content, ti *Jingle) (restarted []ContentRef, err error) {
	if ti.Action != ActionTransportInfo {
		return nil, schemaErr("jingle", "action", "not transport-info")
	}
	next := make([]*ICEUDPTransport, len(contents))
	for i := range ti.Contents {
		tc := &ti.Contents[i]
		r := ref(tc)
		k := -1
		for j := range contents {
			if ref(&contents[j]) == r {
				k = j
				break
			}
		}
		if k < 0 {
			return nil, schemaErr("content", "name", "unknown content "+strconv.Quote(r.Name))
		}
		if tc.ICEUDP == nil || contents[k].ICEUDP == nil {
			return nil, schemaErr("transport", "", "transport-info without ICE-UDP on both sides")
		}
		cur := next[k]
		if cur == nil {
			c := *contents[k].ICEUDP
			c.Candidates = append([]ICECandidate(nil), c.Candidates...)
			cur = &c
		}
		in := tc.ICEUDP
		if in.Ufrag != "" && cur.Ufrag != "" && in.Ufrag != cur.Ufrag {
			if in.Pwd == "" {
				return nil, schemaErr("transport", "pwd", "ICE restart without pwd")
			}
			cur.Ufrag, cur.Pwd = in.Ufrag, in.Pwd
			cur.Candidates, cur.RemoteCandidates, cur.GatheringComplete = nil, nil, false
			restarted = append(restarted, r)
		} else if cur.Ufrag == "" {
			cur.Ufrag, cur.Pwd = in.Ufrag, in.Pwd
		}
		for _, c := range in.Candidates {
			if !hasCandidate(cur.Candidates, c.ID) {
				cur.Candidates = append(cur.Candidates, c)
			}
		}
		if len(cur.Candidates) > MaxCandidates {
			return nil, &SchemaError{Element: "transport", Problem: "too many candidates", Err: ErrTooLarge}
		}
		if in.Fingerprint != nil {
			f := *in.Fingerprint
			cur.Fingerprint = &f
		}
		if len(in.RemoteCandidates) > 0 {
			cur.RemoteCandidates = append([]RemoteCandidate(nil), in.RemoteCandidates...)
		}
		cur.GatheringComplete = cur.GatheringComplete || in.GatheringComplete
		next[k] = cur
	}
	for k, t := range next {
		if t != nil {
			contents[k].ICEUDP = t
		}
	}
	return restarted, nil
}

func hasCandidate(cs []ICECandidate, id string) bool {
	for i := range cs {
		if cs[i].ID == id {
			return true
		}
	}
	return false
}
