package jingle

import (
	"fmt"
	"strconv"
)

// State is the state of a Jingle session (XEP-0166 §5.1).
type State uint8

// The session states. StateNone is a session object before its
// session-initiate.
const (
	StateNone State = iota
	StatePending
	StateActive
	StateEnded
)

func (s State) String() string {
	switch s {
	case StateNone:
		return "none"
	case StatePending:
		return "pending"
	case StateActive:
		return "active"
	case StateEnded:
		return "ended"
	}
	return "invalid"
}

// SessionError is the IQ error for an action the session cannot take: the
// RFC 6120 defined condition and type, and the XEP-0166 §10 condition in
// urn:xmpp:jingle:errors:1 ("" for plain bad-request).
type SessionError struct {
	// Condition is the stanza error condition, e.g. "unexpected-request".
	Condition string
	// Type is the stanza error type: cancel or modify.
	Type string
	// JingleCondition is out-of-order, tie-break, unknown-session or
	// unsupported-info.
	JingleCondition string
	// Action is the refused action.
	Action Action
	// Err is ErrOutOfOrder, ErrTieBreak, ErrUnknownSession,
	// ErrUnsupportedInfo or ErrBadRequest.
	Err error
	// Detail says why.
	Detail string
}

func (e *SessionError) Error() string {
	return fmt.Sprintf("%v: %s: %s", e.Err, e.Action, e.Detail)
}

func (e *SessionError) Unwrap() error { return e.Err }

func outOfOrder(a Action, detail string) error {
	return &SessionError{Condition: "unexpected-request", Type: "cancel", JingleCondition: "out-of-order", Action: a, Err: ErrOutOfOrder, Detail: detail}
}

func unknownSession(a Action, detail string) error {
	return &SessionError{Condition: "item-not-found", Type: "cancel", JingleCondition: "unknown-session", Action: a, Err: ErrUnknownSession, Detail: detail}
}

func tieBreak(a Action) error {
	return &SessionError{Condition: "conflict", Type: "cancel", JingleCondition: "tie-break", Action: a, Err: ErrTieBreak, Detail: "the initiator's own " + string(a) + " is pending"}
}

func unsupportedInfo(detail string) error {
	return &SessionError{Condition: "feature-not-implemented", Type: "modify", JingleCondition: "unsupported-info", Action: ActionSessionInfo, Err: ErrUnsupportedInfo, Detail: detail}
}

func badContent(a Action, detail string) error {
	return &SessionError{Condition: "bad-request", Type: "modify", Action: a, Err: ErrBadRequest, Detail: detail}
}

// Effect is what an accepted action did to the session, beyond its state.
type Effect struct {
	// Ended: the session is over.
	Ended bool
	// Empty: no content is left after a content-remove or content-reject;
	// the receiver SHOULD terminate the session (XEP-0166 §7.2.4, §7.2.5).
	Empty bool
	// Overruled is our own pending action that the initiator's
	// simultaneous one overrules (XEP-0166 §7.2.16); the initiator
	// answers ours with tie-break.
	Overruled Action
}

// Session is the XEP-0166 §5.1 state machine of one session as one party
// sees it: which actions are legal in which state and who may send them,
// the contents in play, and the content-add and transport-replace requests
// awaiting an answer. It only decides; it does no I/O and is not safe for
// concurrent use.
type Session struct {
	// SID is the session id.
	SID string
	// Local is this party's role.
	Local Role

	state State
	// live are the accepted contents; pending maps a content-add's
	// contents to the role that added them.
	live    []ContentRef
	pending []pendingContent
	// replacing is the role whose transport-replace awaits an answer,
	// "" when none.
	replacing Role
}

type pendingContent struct {
	ContentRef
	by Role
}

// NewSession returns the state machine of session sid in which this party
// has role local. The first action must be session-initiate, sent by the
// initiator.
func NewSession(sid string, local Role) *Session {
	return &Session{SID: sid, Local: local}
}

// State returns the session state.
func (s *Session) State() State { return s.state }

// Contents returns the accepted contents.
func (s *Session) Contents() []ContentRef { return append([]ContentRef(nil), s.live...) }

// Receive checks an action sent by the other party and, if it is legal,
// applies it. The error is a *SessionError to answer the IQ with; the
// session is unchanged when it is returned. j should have passed Validate.
func (s *Session) Receive(j *Jingle) (Effect, error) {
	return s.apply(j, s.Local.Other())
}

// Send checks an action this party is about to send and, if it is legal,
// applies it; an error means the action must not be sent.
func (s *Session) Send(j *Jingle) (Effect, error) {
	return s.apply(j, s.Local)
}

// apply runs j, sent by the party with role from.
func (s *Session) apply(j *Jingle, from Role) (Effect, error) {
	a := j.Action
	if j.SID != s.SID {
		return Effect{}, unknownSession(a, "sid "+strconv.Quote(j.SID))
	}
	switch s.state {
	case StateEnded:
		// XEP-0166 §6.7: after session-terminate, the sid is unknown.
		return Effect{}, unknownSession(a, "the session has ended")
	case StateNone:
		if a != ActionSessionInitiate {
			return Effect{}, unknownSession(a, "no session-initiate yet")
		}
		if from != RoleInitiator {
			return Effect{}, outOfOrder(a, "session-initiate from the responder")
		}
		s.state = StatePending
		s.live = s.live[:0]
		for i := range j.Contents {
			s.live = append(s.live, ref(&j.Contents[i]))
		}
		return Effect{}, nil
	}

	// PENDING and ACTIVE (XEP-0166 §5.1, state diagram).
	switch a {
	case ActionSessionInitiate:
		return Effect{}, outOfOrder(a, "the session exists")
	case ActionSessionAccept:
		if s.state != StatePending || from != RoleResponder {
			return Effect{}, outOfOrder(a, "only the responder accepts, once")
		}
		// XEP-0166 §7.2.8: the contents left out are not accepted.
		live := s.live[:0:0]
		for i := range j.Contents {
			if r := ref(&j.Contents[i]); s.isLive(r) {
				live = append(live, r)
			}
		}
		s.live, s.state = live, StateActive
		return Effect{Empty: len(live) == 0}, nil
	case ActionSessionTerminate:
		s.state = StateEnded
		return Effect{Ended: true}, nil
	case ActionSessionInfo:
		// XEP-0166 §6.8: empty is a ping; an unknown payload gets
		// unsupported-info.
		if (j.Info != nil && !j.Info.Kind.Valid()) || (j.Info == nil && len(j.Other) > 0) {
			name := "payload"
			if j.Info != nil {
				name = string(j.Info.Kind)
			} else {
				name = j.Other[0].XMLName.Space + " " + j.Other[0].XMLName.Local
			}
			return Effect{}, unsupportedInfo(name)
		}
		return Effect{}, nil
	case ActionContentAdd:
		return s.contentAdd(j, from)
	case ActionContentAccept, ActionContentReject:
		return s.contentAnswer(j, from)
	case ActionContentRemove:
		for i := range j.Contents {
			r := ref(&j.Contents[i])
			s.live = removeRef(s.live, r)
			s.pending = removePending(s.pending, r)
		}
		return Effect{Empty: len(s.live) == 0}, nil
	case ActionTransportReplace:
		if s.replacing != "" {
			if s.replacing == from {
				return Effect{}, outOfOrder(a, "a transport-replace is already pending")
			}
			// XEP-0166 §7.2.16: within a session the initiator's action
			// overrules the responder's.
			if from == RoleResponder {
				return Effect{}, tieBreak(a)
			}
			s.replacing = from
			return Effect{Overruled: ActionTransportReplace}, nil
		}
		s.replacing = from
		return Effect{}, nil
	case ActionTransportAccept, ActionTransportReject:
		if s.replacing == "" || s.replacing == from {
			return Effect{}, outOfOrder(a, "no transport-replace of the other party is pending")
		}
		s.replacing = ""
		return Effect{}, nil
	case ActionContentModify, ActionDescriptionInfo, ActionSecurityInfo, ActionTransportInfo:
		return Effect{}, nil
	}
	return Effect{}, badContent(a, "unknown action")
}

// contentAdd handles content-add (XEP-0166 §7.2.2) with the tie-break of
// §7.2.16.
func (s *Session) contentAdd(j *Jingle, from Role) (Effect, error) {
	var eff Effect
	for i := range j.Contents {
		r := ref(&j.Contents[i])
		if s.isLive(r) || s.isPending(r) {
			return Effect{}, badContent(j.Action, "content "+strconv.Quote(r.Name)+" exists")
		}
	}
	if other := from.Other(); s.hasPendingBy(other) {
		if from == RoleResponder {
			return Effect{}, tieBreak(j.Action)
		}
		kept := s.pending[:0]
		for _, p := range s.pending {
			if p.by != other {
				kept = append(kept, p)
			}
		}
		s.pending = kept
		eff.Overruled = ActionContentAdd
	}
	for i := range j.Contents {
		s.pending = append(s.pending, pendingContent{ContentRef: ref(&j.Contents[i]), by: from})
	}
	return eff, nil
}

// contentAnswer handles content-accept and content-reject: they answer the
// other party's content-add. A content-reject without contents rejects all
// of them (as some clients send it).
func (s *Session) contentAnswer(j *Jingle, from Role) (Effect, error) {
	adder := from.Other()
	if !s.hasPendingBy(adder) {
		return Effect{}, outOfOrder(j.Action, "no content-add of the other party is pending")
	}
	for i := range j.Contents {
		r := ref(&j.Contents[i])
		if !s.isPendingBy(r, adder) {
			return Effect{}, badContent(j.Action, "content "+strconv.Quote(r.Name)+" was not added")
		}
	}
	answered := func(r ContentRef) bool {
		if len(j.Contents) == 0 {
			return true
		}
		for i := range j.Contents {
			if ref(&j.Contents[i]) == r {
				return true
			}
		}
		return false
	}
	kept := s.pending[:0]
	for _, p := range s.pending {
		switch {
		case p.by != adder || !answered(p.ContentRef):
			kept = append(kept, p)
		case j.Action == ActionContentAccept:
			s.live = append(s.live, p.ContentRef)
		}
	}
	s.pending = kept
	return Effect{Empty: len(s.live) == 0 && len(s.pending) == 0}, nil
}

func ref(c *Content) ContentRef { return ContentRef{Creator: c.CreatorOr(), Name: c.Name} }

func (s *Session) isLive(r ContentRef) bool {
	for _, l := range s.live {
		if l == r {
			return true
		}
	}
	return false
}

func (s *Session) isPending(r ContentRef) bool {
	for _, p := range s.pending {
		if p.ContentRef == r {
			return true
		}
	}
	return false
}

func (s *Session) isPendingBy(r ContentRef, by Role) bool {
	for _, p := range s.pending {
		if p.ContentRef == r && p.by == by {
			return true
		}
	}
	return false
}

func (s *Session) hasPendingBy(by Role) bool {
	for _, p := range s.pending {
		if p.by == by {
			return true
		}
	}
	return false
}

func removeRef(rs []ContentRef, r ContentRef) []ContentRef {
	for i := range rs {
		if rs[i] == r {
			return append(rs[:i], rs[i+1:]...)
		}
	}
	return rs
}

func removePending(ps []pendingContent, r ContentRef) []pendingContent {
	for i := range ps {
		if ps[i].ContentRef == r {
			return append(ps[:i], ps[i+1:]...)
		}
	}
	return ps
}

// WinsTieBreak reports whether a session-initiate (or XEP-0353 propose)
// with sid a, sent by jidA, overrules one with sid b sent by jidB at the
// same time: the lower sid by i;octet collation wins, and on equal sids
// the lower JID (XEP-0166 §7.2.16, XEP-0353 §4.1). The loser's party
// answers the winner's action normally; the winner's party answers the
// loser's with conflict + tie-break.
func WinsTieBreak(a, jidA, b, jidB string) bool {
	if a != b {
		return a < b
	}
	return jidA < jidB
}
