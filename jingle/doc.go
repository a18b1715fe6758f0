// Package jingle holds the Jingle model (XEP-0166 and its application and
// transport namespaces), the SDP<->Jingle translator and the Jingle session
// state machine. It does no I/O.
package jingle
