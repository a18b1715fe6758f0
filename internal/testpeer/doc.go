// Package testpeer holds what the interop tests and the benchmarks share
// to run real peers next to sxgw on loopback: the Prosody configuration
// (with the facts of the project's INTEROP notes baked in) and the probe
// of sxgw's admin endpoints. It is for tests and benchmarks only.
package testpeer
