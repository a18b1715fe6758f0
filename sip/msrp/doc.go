// Package msrp implements the Message Session Relay Protocol (RFC 4975):
// framing, chunking, reports and sessions over TCP and TLS.
//
// # Wire layer
//
// The wire layer is pure: bytes in, values out, no goroutines, no I/O of
// its own beyond the bufio.Reader it is given.
//
//   - Message is one frame, request or response (RFC 4975 §7, §9), with a
//     field per header the protocol defines (To-Path, From-Path,
//     Message-ID, Success-Report, Failure-Report, Byte-Range, Status,
//     Content-Type; Use-Nickname of RFC 7701) and the others in Headers, in
//     order. Unknown methods are parsed, for the session to answer 501
//     (RFC 4975 §12).
//   - Reader reads frames from a stream. The end of a frame is found by its
//     end-line ("-------" transaction-id flag), so bodies may hold anything.
//     Header and body sizes are bounded (Limits); a frame that cannot be
//     delivered gives a *FrameError telling whether it can be answered
//     (Code 400 or 413, with the transaction id) and whether the
//     connection survives (Recoverable). A chunk over Limits.MaxBody is
//     reported as soon as the bound is passed, so that the 413 reaches the
//     sender while it is still sending (RFC 4975 §10.5); the rest of the
//     chunk is skipped on the next Read.
//   - Message.Append writes a frame; the writer refuses what the grammar
//     forbids (ErrInvalid, ErrEndLineInBody) and writes header fields in
//     the RFC 4975 §7.1 order. Parsed frames keep the order of their
//     fields, so the RFC examples are written back byte for byte.
//   - URI and Path: MSRP URIs (RFC 4975 §6, §9), compared by the rules of
//     §6.1 (URI.Equal, URI.Key), and space-separated URI lists (To-Path,
//     From-Path, SDP a=path: ParsePath, Path.String).
//   - Chunker splits a message into SEND chunks of a configurable size with
//     correct Byte-Range and continuation flags (RFC 4975 §5.1, §7.1.1); a
//     text body is cut between UTF-8 characters only. A chunk may be
//     interrupted while being written (CutPoint, Interrupted).
//   - Reassembler joins chunks by Message-ID (RFC 4975 §7.3.1): any order,
//     overlaps, duplicates, "#" aborts, unknown totals; memory bounded per
//     session and across sessions (Budget). Over a bound: a *ChunkError
//     with Code 413.
//   - Decide tells what a request and an outcome call for: a transaction
//     response, a success or failure REPORT, or nothing (RFC 4975 §7.1.2 to
//     §7.2). Message.InitResponse and Message.InitReport build them.
//
// # Ownership
//
// Reader.Read fills a caller's Message and reuses it: every string in it
// is immutable and may be kept, but its slices (Body, ToPath, FromPath,
// Headers) are overwritten by the next Read into the same Message, and
// Body points into a buffer the Reader takes from a BufferPool and gives
// back on its next Read or Release. Keep a Clone (or CloneHeader) of what
// must outlive the frame. Reassembler.Add copies what it keeps; a message
// it completes from several chunks owns its body.
//
// # What a session does with it
//
// For each connection: a Reader over the connection's bufio.Reader (the
// process shares one BufferPool and one Budget), and a loop:
//
//  1. Read. On error: if it is not a *FrameError or not Recoverable, close
//     the connection and fail its sessions (RFC 4975 §5.4). If it has a
//     Code, answer it as in step 3 (Decide with PhaseTransaction, then
//     InitResponse; when the request's paths are unusable, take them from
//     the session bound to the connection), and Read again.
//  2. A response: match its transaction id with a pending request and
//     ignore it otherwise (some peers answer although Failure-Report was
//     "no").
//  3. A request: find the session by ToPath[0] (its session-id identifies
//     the session; RFC 4975 §7.3 says the To-Path then holds exactly one
//     URI), 481 if none, 506 if the session is bound to another connection
//     (§5.4); the first request on a passive connection binds it. REPORT:
//     correlate by Message-ID (and Byte-Range), never answer. NICKNAME: 403,
//     424 (Message.Nickname reports ErrBadNickname), 425 or 200. Other
//     unknown methods: 501. SEND: 415 if the media type is not acceptable,
//     else Reassembler.Add; a *ChunkError gives the code (413 then stop
//     taking that message). Send what Decide(req, PhaseTransaction, code)
//     returns, on the same connection.
//  4. A complete message (Assembly.Complete; a bodiless SEND just binds the
//     connection): deliver it; once its fate is known, send what
//     Decide(msg, PhaseDelivery, code) returns, a REPORT built by
//     InitReport with a new transaction id. Incremental success REPORTs
//     can be built from the chunks the same way.
//  5. When the session ends: Reassembler.Close, to give the memory back to
//     the Budget; call Reassembler.Sweep now and then for messages a peer
//     never finishes.
//
// To send a message: NewMessageID, a template Message with the session's
// paths, Message-ID, Content-Type and report fields, a Chunker, and for
// each chunk Append (or AppendHeader, part of the body and AppendEndLine to
// interrupt it when other traffic waits: RFC 4975 §5.1 requires chunks
// above 2048 octets to be interruptible). Run the Failure-Report timer
// (30 s for "yes", §7.1.1) and stop sending chunks of a message refused
// with 413. A Reader and a Chunker are used by one goroutine each; writes
// to a connection must be serialised by the caller.
//
// # Endpoint and sessions
//
// Endpoint and Session do all of the above over TCP and TLS. An Endpoint
// closes accepted connections beyond EndpointOptions.MaxConnections in
// all or MaxConnectionsPerIP from one peer address at once, before
// reading anything, and counts them. A gateway that owes a success REPORT
// until the far recipient confirms (RFC 7573 §7: an XMPP receipt) keeps
// the message as Delivered, without its body, and sends the REPORT with
// Session.ReportDelivered; Session.SendMessage takes a Message-ID chosen
// by the caller, who can then match a REPORT arriving before the send
// returns.
//
// # TLS (msrps)
//
// With EndpointOptions.TLSListen an Endpoint has a second listener, TLS
// only: an msrps URI means TLS on its authority (RFC 4975 §6), so each
// scheme has a port of its own, and sessions never mix them
// (NewTLSSession, ErrSchemeMismatch). Both sides present a certificate
// (TLS 1.2 or later, RFC 8122 §6.2), usually self-signed: the peer's is
// checked against the a=fingerprint values of its SDP (Fingerprint,
// VerifyFingerprint, RFC 8122 §5.1), given to Session.Connect. A peer we
// dial is checked during the handshake (a mismatch ends it with
// bad_certificate); a peer that dials us is checked when its first
// request names the session, since it may connect before the SDP that
// describes it arrives (RFC 8122 §6.2). A mismatch closes the connection,
// tears the session down (RFC 4975 §14.4) and is counted in
// sxgw_msrp_connection_errors_total{reason="fingerprint"}. Without a
// fingerprint, a peer we dial must hold a certificate valid for its host
// (RFC 4975 §5.4) and a peer that dials us is known by its first request.
package msrp
