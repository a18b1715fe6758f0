package config_test

import (
	"bytes"
	"reflect"
	"sort"
	"strings"
	"testing"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/sxgw/sxgw"
	"github.com/sxgw/sxgw/internal/config"
)

// TestExampleLoadsAndValidates checks the embedded example the way sxgw
// reads a file.
func TestExampleLoadsAndValidates(t *testing.T) {
	c, err := config.Parse("config.example.toml", sxgw.ExampleConfig())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate:\n%v", err)
	}
}

// TestExampleMatchesDefault decodes the example into a zero Config (not over
// the defaults), so every value must be written in the file and equal
// Default.
func TestExampleMatchesDefault(t *testing.T) {
	var c config.Config
	dec := toml.NewDecoder(bytes.NewReader(sxgw.ExampleConfig())).DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if want := config.Default(); !reflect.DeepEqual(&c, want) {
		t.Errorf("example and Default differ:\nexample: %+v\ndefault: %+v", c, *want)
	}
}

// TestExampleHasEveryKey compares the keys written in the example with the
// keys Config defines.
func TestExampleHasEveryKey(t *testing.T) {
	var doc map[string]any
	if err := toml.Unmarshal(sxgw.ExampleConfig(), &doc); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	var inFile []string
	var walkDoc func(prefix string, m map[string]any)
	walkDoc = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walkDoc(prefix+k+".", sub)
				continue
			}
			inFile = append(inFile, prefix+k)
		}
	}
	walkDoc("", doc)

	var defined []string
	durationType := reflect.TypeFor[config.Duration]()
	var walkType func(prefix string, t reflect.Type)
	walkType = func(prefix string, t reflect.Type) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if f.Type.Kind() == reflect.Struct && f.Type != durationType {
				walkType(prefix+name+".", f.Type)
				continue
			}
			defined = append(defined, prefix+name)
		}
	}
	walkType("", reflect.TypeFor[config.Config]())

	sort.Strings(inFile)
	sort.Strings(defined)
	if !reflect.DeepEqual(inFile, defined) {
		t.Errorf("keys in the example:\n%s\nkeys Config defines:\n%s", strings.Join(inFile, "\n"), strings.Join(defined, "\n"))
	}
}
