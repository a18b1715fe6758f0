package gateway

import "errors"

// errClosed reports work submitted after Close.
var errClosed = errors.New("gateway: closed")
