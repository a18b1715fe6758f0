package translate

import (
	"strconv"
	"testing"
)

// allStanzaConditions are the 22 defined conditions of RFC 6120 §8.3.3.
var allStanzaConditions = []string{
	"bad-request", "conflict", "feature-not-implemented", "forbidden", "gone",
	"internal-server-error", "item-not-found", "jid-malformed", "not-acceptable",
	"not-allowed", "not-authorized", "policy-violation", "recipient-unavailable",
	"redirect", "registration-required", "remote-server-not-found",
	"remote-server-timeout", "resource-constraint", "service-unavailable",
	"subscription-required", "undefined-condition", "unexpected-request",
}

// rfc3261Phrases are the status codes and reason phrases of RFC 3261 §21.
var rfc3261Phrases = []struct {
	status int
	phrase string
}{
	{100, "Trying"},
	{180, "Ringing"},
	{181, "Call Is Being Forwarded"},
	{182, "Queued"},
	{183, "Session Progress"},
	{300, "Multiple Choices"},
	{301, "Moved Permanently"},
	{302, "Moved Temporarily"},
	{305, "Use Proxy"},
	{380, "Alternative Service"},
	{400, "Bad Request"},
	{401, "Unauthorized"},
	{402, "Payment Required"},
	{403, "Forbidden"},
	{404, "Not Found"},
	{405, "Method Not Allowed"},
	{406, "Not Acceptable"},
	{407, "Proxy Authentication Required"},
	{408, "Request Timeout"},
	{410, "Gone"},
	{413, "Request Entity Too Large"},
	{414, "Request-URI Too Long"},
	{415, "Unsupported Media Type"},
	{416, "Unsupported URI Scheme"},
	{420, "Bad Extension"},
	{421, "Extension Required"},
	{423, "Interval Too Brief"},
	{480, "Temporarily Unavailable"},
	{481, "Call/Transaction Does Not Exist"},
	{482, "Loop Detected"},
	{483, "Too Many Hops"},
	{484, "Address Incomplete"},
	{485, "Ambiguous"},
	{486, "Busy Here"},
	{487, "Request Terminated"},
	{488, "Not Acceptable Here"},
	{491, "Request Pending"},
	{493, "Undecipherable"},
	{500, "Server Internal Error"},
	{501, "Not Implemented"},
	{502, "Bad Gateway"},
	{503, "Service Unavailable"},
	{504, "Server Time-out"},
	{505, "Version Not Supported"},
	{513, "Message Too Large"},
	{600, "Busy Everywhere"},
	{603, "Decline"},
	{604, "Does Not Exist Anywhere"},
	{606, "Not Acceptable"},
	{200, "OK"},
}

// extensionStatuses are registered codes beyond RFC 3261 that a gateway
// meets.
var extensionStatuses = []int{
	199, 202, 204, 412, 417, 421, 422, 423, 424, 425, 428, 429, 430, 433, 436,
	437, 438, 439, 440, 469, 470, 489, 491, 493, 494, 555, 580, 603, 604, 606,
	607, 608,
}

// sipClassDefault is the RFC 7247 §7.2 fallback for codes not in Table 3.
func sipClassDefault(status int) string {
	return map[int]string{
		3: "redirect", 4: "bad-request", 5: "internal-server-error", 6: "recipient-unavailable",
	}[status/100]
}

type sipTableRow struct{ cond, typ, source string }

func readSIPStatusTable(t *testing.T) map[int]sipTableRow {
	t.Helper()
	const name = "errmap_sip_to_xmpp.txt"
	rows := map[int]sipTableRow{}
	for _, g := range readTSV(t, name) {
		if len(g.fields) != 4 {
			t.Fatalf("%s:%d: want 4 fields", name, g.line)
		}
		status, err := strconv.Atoi(g.fields[0])
		if err != nil {
			t.Fatalf("%s:%d: %v", name, g.line, err)
		}
		if _, dup := rows[status]; dup {
			t.Fatalf("%s:%d: duplicate status %d", name, g.line, status)
		}
		rows[status] = sipTableRow{g.fields[1], g.fields[2], g.fields[3]}
	}
	return rows
}

func TestFromSIPStatusGolden(t *testing.T) {
	rows := readSIPStatusTable(t)
	table := 0
	for status, row := range rows {
		e := FromSIPStatus(status, "Some Reason")
		if row.source == "none" {
			if e != nil {
				t.Errorf("FromSIPStatus(%d) = %+v, want nil", status, e)
			}
			continue
		}
		if e == nil {
			t.Errorf("FromSIPStatus(%d) = nil, want %s", status, row.cond)
			continue
		}
		if e.SIPStatus != status || e.Condition != row.cond || e.Type != row.typ || e.Text != "Some Reason" {
			t.Errorf("FromSIPStatus(%d) = %+v, want %s/%s", status, e, row.cond, row.typ)
		}
		switch row.source {
		case "table":
			table++
		case "class":
			if row.cond != sipClassDefault(status) {
				t.Errorf("status %d: tsvRow class row %s is not the class default", status, row.cond)
			}
		default:
			t.Errorf("status %d: unknown source %q", status, row.source)
		}
	}
	// RFC 7247 Table 3 lists 48 codes besides the class rows.
	if table != 48 {
		t.Errorf("tsvRow table has %d Table 3 codes, want 48", table)
	}
}

func TestFromSIPStatusEveryCode(t *testing.T) {
	rows := readSIPStatusTable(t)
	// Every RFC 3261 §21 status and every extension is in the tsvRow table.
	for _, p := range rfc3261Phrases {
		if _, ok := rows[p.status]; !ok {
			t.Errorf("RFC 3261 status %d missing from the tsvRow table", p.status)
		}
	}
	for _, s := range extensionStatuses {
		if _, ok := rows[s]; !ok {
			t.Errorf("extension status %d missing from the tsvRow table", s)
		}
	}
	// Every code of every class maps: the Table 3 value or the class
	// default (RFC 7247 §7.2); 1xx and 2xx are no errors.
	for status := 100; status <= 699; status++ {
		e := FromSIPStatus(status, "")
		if status < 300 {
			if e != nil {
				t.Errorf("FromSIPStatus(%d) = %+v, want nil", status, e)
			}
			continue
		}
		want := sipClassDefault(status)
		if row, ok := rows[status]; ok {
			want = row.cond
		}
		if e == nil || e.Condition != want || e.SIPStatus != status || e.Type == "" {
			t.Errorf("FromSIPStatus(%d) = %+v, want %s", status, e, want)
		}
	}
	// Not SIP statuses at all.
	for _, status := range []int{-1, 0, 99, 700, 999, 1000} {
		e := FromSIPStatus(status, "x")
		if e == nil || e.Condition != CondUndefinedCondition || e.Type != ErrorTypeCancel {
			t.Errorf("FromSIPStatus(%d) = %+v, want undefined-condition", status, e)
		}
	}
}

func TestFromStanzaErrorGolden(t *testing.T) {
	const name = "errmap_xmpp_to_sip.txt"
	seen := map[string]bool{}
	for _, g := range readTSV(t, name) {
		if len(g.fields) != 5 {
			t.Fatalf("%s:%d: want 5 fields", name, g.line)
		}
		cond, typ := g.fields[0], g.fields[4]
		var st [3]int
		for i := range st {
			n, err := strconv.Atoi(g.fields[1+i])
			if err != nil {
				t.Fatalf("%s:%d: %v", name, g.line, err)
			}
			st[i] = n
		}
		seen[cond] = true
		wantCond := cond
		if !isDefinedCondition(cond) {
			wantCond = CondUndefinedCondition
		}
		check := func(what string, e *Error, status int) {
			t.Helper()
			if e == nil || e.SIPStatus != status || e.Condition != wantCond || e.Type != typ {
				t.Errorf("%s:%d: %s = %+v, want %d %s %s", name, g.line, what, e, status, wantCond, typ)
			}
		}
		bare := FromCondition(cond, "why")
		check("FromCondition", bare, st[0])
		if bare.Text != "why" {
			t.Errorf("%s:%d: text %q lost", name, g.line, bare.Text)
		}
		check("full JID", FromStanzaError(cond, "", true, ""), st[1])
		alt := FromStanzaError(cond, "", false, "xmpp:new@example.com")
		check("with alternate", alt, st[2])
		if alt.Alternate != "xmpp:new@example.com" {
			t.Errorf("%s:%d: alternate lost", name, g.line)
		}
	}
	// All 22 RFC 6120 conditions are in the table.
	for _, c := range allStanzaConditions {
		if !seen[c] {
			t.Errorf("condition %s missing from %s", c, name)
		}
	}
}

func isDefinedCondition(cond string) bool {
	for _, c := range allStanzaConditions {
		if c == cond {
			return true
		}
	}
	return false
}

func TestConditionConstants(t *testing.T) {
	// The Cond constants are the 22 RFC 6120 names, and each maps to a
	// status (RFC 7247 §7.1) whose error type is one of RFC 6120 §8.3.2's.
	consts := []string{
		CondBadRequest, CondConflict, CondFeatureNotImplemented, CondForbidden, CondGone,
		CondInternalServerError, CondItemNotFound, CondJIDMalformed, CondNotAcceptable,
		CondNotAllowed, CondNotAuthorized, CondPolicyViolation, CondRecipientUnavailable,
		CondRedirect, CondRegistrationRequired, CondRemoteServerNotFound,
		CondRemoteServerTimeout, CondResourceConstraint, CondServiceUnavailable,
		CondSubscriptionRequired, CondUndefinedCondition, CondUnexpectedRequest,
	}
	if len(consts) != len(allStanzaConditions) {
		t.Fatalf("%d constants, want %d", len(consts), len(allStanzaConditions))
	}
	for i, c := range consts {
		if c != allStanzaConditions[i] {
			t.Errorf("constant %q, want %q", c, allStanzaConditions[i])
		}
		e := FromCondition(c, "")
		if e.SIPStatus < 300 || e.SIPStatus > 699 || e.SIPStatus == 503 {
			// RFC 7247 §7.1 note (5): never 503.
			t.Errorf("FromCondition(%s) status %d", c, e.SIPStatus)
		}
		switch e.Type {
		case ErrorTypeAuth, ErrorTypeCancel, ErrorTypeModify, ErrorTypeWait:
		default:
			t.Errorf("FromCondition(%s) type %q", c, e.Type)
		}
	}
}

func TestReasonPhrase(t *testing.T) {
	for _, p := range rfc3261Phrases {
		if got := ReasonPhrase(p.status); got != p.phrase {
			t.Errorf("ReasonPhrase(%d) = %q, want %q", p.status, got, p.phrase)
		}
	}
	for _, s := range extensionStatuses {
		if ReasonPhrase(s) == "" {
			t.Errorf("ReasonPhrase(%d) is empty", s)
		}
	}
	for status, want := range map[int]string{
		489: "Bad Event", 429: "Provide Referrer Identity", 607: "Unwanted", 608: "Rejected",
		199: "Early Dialog Terminated", 202: "Accepted", 470: "Consent Needed",
		399: "Redirection", 450: "Request Failure", 599: "Server Failure", 699: "Global Failure",
		0: "", 700: "",
	} {
		if got := ReasonPhrase(status); got != want {
			t.Errorf("ReasonPhrase(%d) = %q, want %q", status, got, want)
		}
	}
}
