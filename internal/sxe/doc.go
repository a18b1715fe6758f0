// Package sxe is the shared XML editing engine: XEP-0284 edit operations
// applied in one agreed order with a history, so every participant of a
// shared document converges on the same state.
package sxe
