// Package config reads and checks sxgw's TOML configuration.
//
// A configuration file is decoded strictly over the built-in defaults
// (Default): a key sxgw does not know is an error naming the key and its line,
// so a typo never silently falls back to a default. Validate then checks every
// value and reports all problems at once, each prefixed with its key path
// (for example `sip.listen[1]: unknown transport "sctp"`).
//
// After Validate returns nil, accessors such as TrustedPrefixes, SIPListeners
// and OutboundProxy return the parsed forms of the string values, so callers
// never parse configuration text themselves. The configuration is never
// rewritten by sxgw.
package config
