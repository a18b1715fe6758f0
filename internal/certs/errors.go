package certs

import "errors"

var (
	// ErrIncompletePair reports that only one of the certificate and key files is set.
	ErrIncompletePair = errors.New("certs: certificate and key files must be set together")
	// ErrNoNames reports a self-signed certificate requested for no names.
	ErrNoNames = errors.New("certs: no names to put in a self-signed certificate")
	// ErrNoDataDir reports a self-signed certificate requested without a data directory.
	ErrNoDataDir = errors.New("certs: no data directory to keep a self-signed certificate in")
)
