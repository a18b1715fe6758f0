package simple

import "time"

// ContentTypeIMDN is the media type of IMDN payloads (RFC 5438 §11.1.8).
const ContentTypeIMDN = "message/imdn+xml"

// nsIMDN is the XML namespace of IMDN payloads (RFC 5438 §11.1).
const nsIMDN = "urn:ietf:params:xml:ns:imdn"

// Notification types and their status values (RFC 5438 §5, §11.1.7).
const (
	IMDNDelivered = "delivered" // delivery
	IMDNFailed    = "failed"    // delivery
	IMDNDisplayed = "displayed" // display
	IMDNProcessed = "processed" // processing
	IMDNStored    = "stored"    // processing
	IMDNForbidden = "forbidden" // any type
	IMDNError     = "error"     // any type
)

// IMDN is an Instant Message Disposition Notification payload (RFC 5438
// §11). At most one of Delivery, Display and Processing is set: the type
// of notification is the one that is.
type IMDN struct {
	// MessageID is the Message-ID of the IM being reported on (required).
	MessageID string
	// DateTime is when that IM was sent, from its DateTime header
	// (required).
	DateTime time.Time
	// RecipientURI and OriginalRecipientURI are the final and the original
	// recipient (from the IM's To and Original-To); "" if absent.
	RecipientURI, OriginalRecipientURI string
	// Subject is one of the IM's subjects (§11.1.5), SubjectLang its
	// xml:lang.
	Subject, SubjectLang string
	// Delivery is the status of a delivery notification: delivered,
	// failed, forbidden or error.
	Delivery string
	// Display is the status of a display notification: displayed,
	// forbidden or error.
	Display string
	// Processing is the status of a processing notification: processed,
	// stored, forbidden or error.
	Processing string
}

// imdnStatusOK reports whether status is allowed for the notification
// element kind (§11.1.7).
func imdnStatusOK(kind, status string) bool {
	switch status {
	case IMDNForbidden, IMDNError:
		return true
	case IMDNDelivered, IMDNFailed:
		return kind == "delivery-notification"
	case IMDNDisplayed:
		return kind == "display-notification"
	case IMDNProcessed, IMDNStored:
		return kind == "processing-notification"
	}
	return false
}

// ParseIMDN parses a message/imdn+xml payload. <message-id> and
// <datetime> (RFC 3339) are required; at most one notification element may
// appear, and its <status> must hold exactly one status of its type.
// Elements of other namespaces are ignored (the schema's extension
// points); unknown elements of the IMDN namespace are an error.
func ParseIMDN(b []byte) (*IMDN, error) {
	const codec = "imdn"
	r := newXMLReader(codec, b)
	if _, err := r.root(nsIMDN, "imdn"); err != nil {
		return nil, err
	}
	n := &IMDN{}
	seen := make(map[string]bool, 8)
	notification := false
	for {
		se, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if se.Name.Space != nsIMDN {
			if err := r.skip(); err != nil {
				return nil, err
			}
			continue
		}
		local := se.Name.Local
		if seen[local] {
			return nil, malformed(codec, "repeated <"+local+">")
		}
		seen[local] = true
		switch local {
		case "message-id", "datetime", "recipient-uri", "original-recipient-uri", "subject":
			s, err := r.text(local)
			if err != nil {
				return nil, err
			}
			switch local {
			case "message-id":
				n.MessageID = collapse(s)
			case "datetime":
				if n.DateTime, err = parseTime(codec, "<datetime>", collapse(s)); err != nil {
					return nil, err
				}
			case "recipient-uri":
				n.RecipientURI = collapse(s)
			case "original-recipient-uri":
				n.OriginalRecipientURI = collapse(s)
			case "subject":
				n.Subject, n.SubjectLang = s, xmlLang(se, "")
			}
		case "delivery-notification", "display-notification", "processing-notification":
			if notification {
				return nil, malformed(codec, "more than one notification")
			}
			notification = true
			status, err := parseIMDNStatus(r, local)
			if err != nil {
				return nil, err
			}
			switch local {
			case "delivery-notification":
				n.Delivery = status
			case "display-notification":
				n.Display = status
			default:
				n.Processing = status
			}
		default:
			return nil, malformed(codec, "unknown element <"+local+">")
		}
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	if n.MessageID == "" || n.DateTime.IsZero() {
		return nil, malformed(codec, "missing <message-id> or <datetime>")
	}
	return n, nil
}

// parseIMDNStatus reads a notification element: one <status> holding one
// status element of the type (and extensions).
func parseIMDNStatus(r *xmlReader, kind string) (string, error) {
	status := ""
	seenStatus := false
	for {
		se, ok, err := r.next()
		if err != nil {
			return "", err
		}
		if !ok {
			break
		}
		if se.Name.Space != nsIMDN {
			if err := r.skip(); err != nil {
				return "", err
			}
			continue
		}
		if se.Name.Local != "status" || seenStatus {
			return "", malformed(r.codec, "<"+kind+"> must hold one <status>")
		}
		seenStatus = true
		if status, err = parseIMDNStatusValue(r, kind); err != nil {
			return "", err
		}
	}
	if !seenStatus {
		return "", malformed(r.codec, "<"+kind+"> without <status>")
	}
	return status, nil
}

func parseIMDNStatusValue(r *xmlReader, kind string) (string, error) {
	status := ""
	for {
		se, ok, err := r.next()
		if err != nil {
			return "", err
		}
		if !ok {
			break
		}
		if se.Name.Space != nsIMDN {
			if err := r.skip(); err != nil {
				return "", err
			}
			continue
		}
		if status != "" || !imdnStatusOK(kind, se.Name.Local) {
			return "", malformed(r.codec, "bad <status> in <"+kind+">")
		}
		status = se.Name.Local
		if err := r.empty(status); err != nil {
			return "", err
		}
	}
	if status == "" {
		return "", malformed(r.codec, "empty <status> in <"+kind+">")
	}
	return status, nil
}

// Marshal encodes n as a message/imdn+xml payload. It returns an error
// wrapping ErrInvalid if MessageID or DateTime is missing, more than one
// notification type is set, a status is not one of its type, or a value
// is text XML cannot carry.
func (n *IMDN) Marshal() ([]byte, error) {
	const codec = "imdn"
	if n.MessageID == "" || n.DateTime.IsZero() {
		return nil, invalid(codec, "missing message id or datetime")
	}
	kind, status := "", ""
	for _, k := range [...]struct{ kind, status string }{
		{"delivery-notification", n.Delivery},
		{"display-notification", n.Display},
		{"processing-notification", n.Processing},
	} {
		if k.status == "" {
			continue
		}
		if kind != "" {
			return nil, invalid(codec, "more than one notification type")
		}
		if !imdnStatusOK(k.kind, k.status) {
			return nil, invalid(codec, "status "+k.status+" not allowed in "+k.kind)
		}
		kind, status = k.kind, k.status
	}
	w := &xmlWriter{codec: codec, b: make([]byte, 0, 320)}
	w.raw(xmlHeader)
	w.raw(`<imdn xmlns="` + nsIMDN + `">`)
	w.elem("message-id", n.MessageID)
	w.time("datetime", n.DateTime)
	if n.RecipientURI != "" {
		w.elem("recipient-uri", n.RecipientURI)
	}
	if n.OriginalRecipientURI != "" {
		w.elem("original-recipient-uri", n.OriginalRecipientURI)
	}
	if n.Subject != "" || n.SubjectLang != "" {
		w.raw("<subject")
		if n.SubjectLang != "" {
			w.attr("xml:lang", n.SubjectLang)
		}
		w.raw(">")
		w.text("<subject>", n.Subject)
		w.raw("</subject>")
	}
	if kind != "" {
		w.raw("<" + kind + "><status><" + status + "/></status></" + kind + ">")
	}
	w.raw("</imdn>\n")
	return w.result()
}
