package msrp

// Status codes of RFC 4975 §10 and RFC 7701 §11.
const (
	StatusOK                  = 200
	StatusBadRequest          = 400
	StatusForbidden           = 403
	StatusTimeout             = 408
	StatusTooLarge            = 413
	StatusUnsupportedMedia    = 415
	StatusOutOfBounds         = 423
	StatusMalformedNickname   = 424
	StatusNicknameInUse       = 425
	StatusNoSession           = 481
	StatusNotImplemented      = 501
	StatusSessionAlreadyBound = 506
)

// StatusText returns the comment this package writes after a status code
// (RFC 4975 leaves comments to the implementation), or "" for an unknown
// code.
func StatusText(code int) string {
	switch code {
	case StatusOK:
		return "OK"
	case StatusBadRequest:
		return "Bad Request"
	case StatusForbidden:
		return "Forbidden"
	case StatusTimeout:
		return "Request Timeout"
	case StatusTooLarge:
		return "Message Too Large"
	case StatusUnsupportedMedia:
		return "Unsupported Media Type"
	case StatusOutOfBounds:
		return "Interval Out-of-Bounds"
	case StatusMalformedNickname:
		return "Malformed nickname"
	case StatusNicknameInUse:
		return "Nickname reserved or already in use"
	case StatusNoSession:
		return "Session Does Not Exist"
	case StatusNotImplemented:
		return "Method Not Implemented"
	case StatusSessionAlreadyBound:
		return "Session Already Bound"
	}
	return ""
}

// Phase says when the outcome passed to Decide became known.
type Phase uint8

const (
	// PhaseTransaction: the outcome of processing a request, known while
	// its transaction is open: accepted (200) or refused (400, 413, 415,
	// 481, 501, ...). RFC 4975 §7.2, §7.1.4 first paragraph.
	PhaseTransaction Phase = iota
	// PhaseDelivery: the end-to-end outcome of a message, known after its
	// transaction (a gateway hears from the next network later, or the
	// last chunk completed it): delivered (200) or failed. RFC 4975
	// §7.1.3, §7.1.4.
	PhaseDelivery
)

// Reply is what a receiver sends for a request and an outcome. A zero
// field means: send nothing of that kind.
type Reply struct {
	// Response is the status of the transaction response to send
	// (InitResponse), or 0.
	Response int
	// Report is the status of the REPORT to send (InitReport): 200 for a
	// success report, an error code for a failure report; or 0.
	Report int
}

// Decide applies the reporting rules of RFC 4975 to a request req (its
// header fields only are used) and an outcome code (200 for success):
//
//   - No response and no REPORT to a REPORT (§7.1.2: MUST NOT).
//   - PhaseTransaction: Failure-Report "yes" or absent: a response with
//     code (§7.2 MUST). "partial": a response only for a failure (§7.1.4:
//     MUST NOT send 200). "no": nothing (§7.1.4: MUST NOT send a response).
//     This applies to every method: a NICKNAME has no Failure-Report, so
//     it is always answered; an unknown method gets its 501 the same way
//     (§12).
//   - PhaseDelivery, for a SEND: success: a success REPORT when
//     Success-Report is "yes" (§7.1.3; absent means "no"); failure: a
//     failure REPORT unless Failure-Report is "no" (§7.1.4). Other methods
//     get nothing.
//
// A failure known at transaction time goes in the response only: do not
// also send a failure REPORT for it.
func Decide(req *Message, phase Phase, code int) Reply {
	if req.Method == MethodREPORT || req.Code != 0 {
		return Reply{}
	}
	fr := req.FailureMode()
	if phase == PhaseTransaction {
		switch {
		case fr == ReportNo:
			return Reply{}
		case fr == ReportPartial && code == StatusOK:
			return Reply{}
		}
		return Reply{Response: code}
	}
	if req.Method != MethodSEND {
		return Reply{}
	}
	if code == StatusOK {
		if req.WantsSuccessReport() {
			return Reply{Report: StatusOK}
		}
		return Reply{}
	}
	if fr == ReportNo {
		return Reply{}
	}
	return Reply{Report: code}
}

// InitResponse makes m (after m.Reset) the transaction response to req
// with code and comment (StatusText(code) when comment is ""),
// RFC 4975 §7.2: the same transaction id; To-Path is the first URI of the
// request's From-Path for a SEND (responses go to the previous hop only),
// the whole From-Path for other methods; From-Path is the first URI of
// the request's To-Path, the receiving node. ErrNoPath when req lacks
// either path: the session then sets the paths from its own state.
func (m *Message) InitResponse(req *Message, code int, comment string) error {
	m.Reset()
	m.TransactionID = req.TransactionID
	m.Code = code
	if comment == "" {
		comment = StatusText(code)
	}
	m.Comment = comment
	m.Flag = FlagEnd // RFC 4975 §7.2: a response is never chunked
	if len(req.FromPath) == 0 || len(req.ToPath) == 0 {
		return ErrNoPath
	}
	if req.Method == MethodSEND {
		m.ToPath = append(m.ToPath, req.FromPath[0])
	} else {
		m.ToPath = append(m.ToPath, req.FromPath...)
	}
	m.FromPath = append(m.FromPath, req.ToPath[0])
	return nil
}

// InitReport makes m (after m.Reset) a REPORT about req, a SEND or a
// message reassembled from SENDs (RFC 4975 §7.1.2-§7.1.4): transaction id
// tid (NewTransactionID), To-Path the request's From-Path, From-Path the
// first URI of its To-Path (the receiving endpoint), its Message-ID,
// Status "000 code comment" (StatusText(code) when comment is "") and a
// Byte-Range counted in octets of the body received:
//
//   - a complete message (IsComplete; Reassembler results are complete):
//     1-N/N where N = len(req.Body), whatever the request's Byte-Range said
//     (some peers count characters);
//   - a chunk: the request's range-start and total, and the range-end of
//     the body actually received (§7.1.4: "MUST calculate the range-end
//     field from the actual body data").
//
// It sets no Success-Report or Failure-Report (§7.1.2: MUST NOT).
func (m *Message) InitReport(req *Message, tid string, code int, comment string) error {
	return m.initReport(req, int64(len(req.Body)), tid, code, comment)
}

// initReport is InitReport for a request whose body had n octets (req
// may be kept without its body, see Delivered).
func (m *Message) initReport(req *Message, n int64, tid string, code int, comment string) error {
	m.Reset()
	m.TransactionID = tid
	m.Method = MethodREPORT
	m.MessageID = req.MessageID
	if comment == "" {
		comment = StatusText(code)
	}
	m.Status = Status{Namespace: 0, Code: code, Comment: comment}
	if req.IsComplete() {
		m.ByteRange = ByteRange{Start: 1, End: n, Total: n}
	} else {
		start := req.ByteRange.Start
		m.ByteRange = ByteRange{Start: start, End: start + n - 1, Total: req.ByteRange.Total}
		if t := m.ByteRange.Total; t != Unknown && t < m.ByteRange.End {
			m.ByteRange.Total = Unknown // a sender that undercounted
		}
	}
	if len(req.FromPath) == 0 || len(req.ToPath) == 0 {
		return ErrNoPath
	}
	m.ToPath = append(m.ToPath, req.FromPath...)
	m.FromPath = append(m.FromPath, req.ToPath[0])
	return nil
}
