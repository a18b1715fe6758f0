package jingle

import (
	"errors"
	"testing"
)

func act(a Action, contents ...string) *Jingle {
	j := &Jingle{Action: a, SID: "s1"}
	for _, c := range contents {
		creator := RoleInitiator
		if c[0] == '+' { // added by the responder
			creator, c = RoleResponder, c[1:]
		}
		j.Contents = append(j.Contents, Content{Creator: creator, Name: c})
	}
	return j
}

// step is one action in a scripted session: who sends it (from the
// viewpoint of a responder-side Session), and the expected outcome.
type step struct {
	j      *Jingle
	remote bool // sent by the other party (Receive) or by us (Send)
	err    error
	jcond  string
	state  State
	eff    Effect
}

func runSteps(t *testing.T, local Role, steps []step) {
	t.Helper()
	s := NewSession("s1", local)
	for i, st := range steps {
		var eff Effect
		var err error
		before := *s
		if st.remote {
			eff, err = s.Receive(st.j)
		} else {
			eff, err = s.Send(st.j)
		}
		if !errors.Is(err, st.err) || (st.err == nil) != (err == nil) {
			t.Fatalf("step %d %s: err %v, want %v", i, st.j.Action, err, st.err)
		}
		if err != nil {
			var se *SessionError
			if !errors.As(err, &se) || se.JingleCondition != st.jcond || se.Condition == "" || se.Type == "" {
				t.Fatalf("step %d: %#v", i, err)
			}
			if s.state != before.state || len(s.live) != len(before.live) || len(s.pending) != len(before.pending) {
				t.Fatalf("step %d: a refused action changed the session", i)
			}
		}
		if s.State() != st.state {
			t.Fatalf("step %d %s: state %s, want %s", i, st.j.Action, s.State(), st.state)
		}
		if eff != st.eff {
			t.Fatalf("step %d %s: effect %+v, want %+v", i, st.j.Action, eff, st.eff)
		}
	}
}

func TestSessionLifecycle(t *testing.T) {
	// We are the responder (the gateway answering a call from XMPP).
	runSteps(t, RoleResponder, []step{
		{j: act(ActionTransportInfo, "audio"), remote: true, err: ErrUnknownSession, jcond: "unknown-session", state: StateNone},
		{j: act(ActionSessionInitiate, "audio", "video"), remote: true, state: StatePending},
		{j: act(ActionSessionInitiate, "audio"), remote: true, err: ErrOutOfOrder, jcond: "out-of-order", state: StatePending},
		{j: act(ActionSessionInfo), remote: false, state: StatePending},
		{j: act(ActionTransportInfo, "audio"), remote: true, state: StatePending},
		{j: act(ActionSessionAccept, "audio"), remote: true, err: ErrOutOfOrder, jcond: "out-of-order", state: StatePending},
		{j: act(ActionSessionAccept, "audio"), remote: false, state: StateActive},
		{j: act(ActionSessionAccept, "audio"), remote: false, err: ErrOutOfOrder, jcond: "out-of-order", state: StateActive},
		{j: act(ActionContentModify, "audio"), remote: true, state: StateActive},
		{j: act(ActionSessionTerminate), remote: true, state: StateEnded, eff: Effect{Ended: true}},
		{j: act(ActionSessionInfo), remote: true, err: ErrUnknownSession, jcond: "unknown-session", state: StateEnded},
		{j: act(ActionSessionTerminate), remote: false, err: ErrUnknownSession, jcond: "unknown-session", state: StateEnded},
	})
	// We are the initiator.
	runSteps(t, RoleInitiator, []step{
		{j: act(ActionSessionInitiate, "audio"), remote: true, err: ErrOutOfOrder, jcond: "out-of-order", state: StateNone},
		{j: act(ActionSessionInitiate, "audio"), remote: false, state: StatePending},
		{j: act(ActionSessionAccept, "audio"), remote: true, state: StateActive},
		{j: act(ActionSessionTerminate), remote: false, state: StateEnded, eff: Effect{Ended: true}},
	})
}

func TestSessionContents(t *testing.T) {
	runSteps(t, RoleInitiator, []step{
		{j: act(ActionSessionInitiate, "audio", "video"), state: StatePending},
		// The responder accepts only the audio.
		{j: act(ActionSessionAccept, "audio"), remote: true, state: StateActive},
		{j: act(ActionContentAccept, "video"), remote: true, err: ErrOutOfOrder, jcond: "out-of-order", state: StateActive},
		// We add video; the peer may not answer twice.
		{j: act(ActionContentAdd, "video2"), state: StateActive},
		{j: act(ActionContentAdd, "audio"), remote: true, err: ErrBadRequest, state: StateActive},
		{j: act(ActionContentAccept, "video2"), remote: true, state: StateActive},
		{j: act(ActionContentAccept, "video2"), remote: true, err: ErrOutOfOrder, jcond: "out-of-order", state: StateActive},
		// The peer adds screen; we reject it stanza-style (no contents).
		{j: act(ActionContentAdd, "+screen"), remote: true, state: StateActive},
		{j: act(ActionContentReject, "+other"), err: ErrBadRequest, state: StateActive},
		{j: act(ActionContentReject), state: StateActive},
		// Removing everything leaves the session empty.
		{j: act(ActionContentRemove, "video2"), remote: true, state: StateActive},
		{j: act(ActionContentRemove, "audio"), remote: true, state: StateActive, eff: Effect{Empty: true}},
	})
	runSteps(t, RoleResponder, []step{
		{j: act(ActionSessionInitiate, "audio"), remote: true, state: StatePending},
		{j: act(ActionSessionAccept, "audio"), state: StateActive},
		// Our only added content is rejected: audio stays.
		{j: act(ActionContentAdd, "+video"), state: StateActive},
		{j: act(ActionContentReject, "+video"), remote: true, state: StateActive},
		{j: act(ActionContentRemove, "audio"), state: StateActive, eff: Effect{Empty: true}},
	})
}

// TestSessionTieBreak: XEP-0166 §7.2.16 within a session: the initiator's
// action wins and the responder's gets conflict + tie-break.
func TestSessionTieBreak(t *testing.T) {
	// We are the initiator: our content-add is pending when the
	// responder's arrives.
	runSteps(t, RoleInitiator, []step{
		{j: act(ActionSessionInitiate, "audio"), state: StatePending},
		{j: act(ActionSessionAccept, "audio"), remote: true, state: StateActive},
		{j: act(ActionContentAdd, "video"), state: StateActive},
		{j: act(ActionContentAdd, "+video"), remote: true, err: ErrTieBreak, jcond: "tie-break", state: StateActive},
		{j: act(ActionTransportReplace, "audio"), state: StateActive},
		{j: act(ActionTransportReplace, "audio"), remote: true, err: ErrTieBreak, jcond: "tie-break", state: StateActive},
		{j: act(ActionTransportAccept, "audio"), remote: true, state: StateActive},
		{j: act(ActionTransportAccept, "audio"), remote: true, err: ErrOutOfOrder, jcond: "out-of-order", state: StateActive},
	})
	// We are the responder: the initiator's content-add overrules ours.
	runSteps(t, RoleResponder, []step{
		{j: act(ActionSessionInitiate, "audio"), remote: true, state: StatePending},
		{j: act(ActionSessionAccept, "audio"), state: StateActive},
		{j: act(ActionContentAdd, "+video"), state: StateActive},
		{j: act(ActionContentAdd, "video"), remote: true, state: StateActive, eff: Effect{Overruled: ActionContentAdd}},
		// Our overruled add is gone: an accept of it is out of order.
		{j: act(ActionContentAccept, "+video"), remote: true, err: ErrOutOfOrder, jcond: "out-of-order", state: StateActive},
		{j: act(ActionContentAccept, "video"), state: StateActive},
		{j: act(ActionTransportReplace, "audio"), state: StateActive},
		{j: act(ActionTransportReplace, "audio"), remote: true, state: StateActive, eff: Effect{Overruled: ActionTransportReplace}},
		{j: act(ActionTransportReject, "audio"), state: StateActive},
	})
}

func TestSessionInfoPayloads(t *testing.T) {
	s := NewSession("s1", RoleResponder)
	if _, err := s.Receive(act(ActionSessionInitiate, "audio")); err != nil {
		t.Fatal(err)
	}
	for _, k := range []InfoKind{InfoRinging, InfoHold, InfoUnhold, InfoActive, InfoMute, InfoUnmute} {
		j := act(ActionSessionInfo)
		j.Info = &Info{Kind: k}
		if _, err := s.Receive(j); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	for _, j := range []*Jingle{
		{Action: ActionSessionInfo, SID: "s1", Info: &Info{Kind: "dance"}},
		{Action: ActionSessionInfo, SID: "s1", Other: []Element{{XMLName: xmlName("urn:example", "checksum")}}},
	} {
		_, err := s.Receive(j)
		var se *SessionError
		if !errors.Is(err, ErrUnsupportedInfo) || !errors.As(err, &se) || se.Condition != "feature-not-implemented" || se.Type != "modify" || se.JingleCondition != "unsupported-info" {
			t.Errorf("%+v: %v", j, err)
		}
	}
	if _, err := s.Receive(&Jingle{Action: ActionSessionInfo, SID: "other"}); !errors.Is(err, ErrUnknownSession) {
		t.Errorf("other sid: %v", err)
	}
}

func TestWinsTieBreak(t *testing.T) {
	tests := []struct {
		a, jidA, b, jidB string
		want             bool
	}{
		{"a73sjjvkla37jfea", "romeo@example/a", "b84tkkwlmb48kgfb", "juliet@example/b", true},
		{"b84", "romeo@example/a", "a73", "juliet@example/b", false},
		// i;octet: upper case sorts before lower case.
		{"Z", "x", "a", "y", true},
		{"same", "juliet@example/b", "same", "romeo@example/a", true},
		{"same", "romeo@example/a", "same", "juliet@example/b", false},
	}
	for _, tt := range tests {
		if got := WinsTieBreak(tt.a, tt.jidA, tt.b, tt.jidB); got != tt.want {
			t.Errorf("%+v: %v", tt, got)
		}
		if tt.a != tt.b || tt.jidA != tt.jidB {
			if WinsTieBreak(tt.b, tt.jidB, tt.a, tt.jidA) == tt.want {
				t.Errorf("%+v: both win", tt)
			}
		}
	}
}
