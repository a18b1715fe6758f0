// Package sxgw holds files shipped inside the sxgw binary. The gateway itself
// lives in the gateway, sip and xmpp packages; the command is cmd/sxgw.
package sxgw

import _ "embed"

//go:embed config.example.toml
var exampleConfig string

// ExampleConfig returns config.example.toml: every configuration key with its
// default value and an explanation for operators. Each call returns a new
// copy.
func ExampleConfig() []byte { return []byte(exampleConfig) }
