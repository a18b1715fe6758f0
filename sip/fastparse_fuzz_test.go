package sip

import "testing"

// FuzzFastParse checks that whatever the fast parser takes, sipgo's parser
// takes too and reads the same way.
func FuzzFastParse(f *testing.F) {
	for _, m := range fastParseSamples {
		f.Add([]byte(m))
	}
	for _, m := range fastParseRefused {
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastParse(t, data)
	})
}
