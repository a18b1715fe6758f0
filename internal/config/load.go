package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// Load reads the file at path and decodes it over Default. It does not
// validate: call Validate on the result.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes data over Default; name identifies the source in errors.
// Keys sxgw does not define are errors (one UnknownKeyError each, joined);
// syntax and type errors carry their line and column. It does not validate:
// call Validate on the result.
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	err := dec.Decode(c)
	if err == nil {
		return c, nil
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			line, _ := strict.Errors[i].Position()
			errs = append(errs, &UnknownKeyError{
				File: name,
				Line: line,
				Key:  strings.Join(strict.Errors[i].Key(), "."),
			})
		}
		return nil, errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		// A value's own error (e.g. Duration's) carries this package's prefix
		// already.
		msg := strings.TrimPrefix(strings.TrimPrefix(de.Error(), "toml: "), "config: ")
		if k := de.Key(); len(k) > 0 {
			msg = strings.Join(k, ".") + ": " + msg
		}
		return nil, fmt.Errorf("%w: %s:%d:%d: %s", ErrSyntax, name, line, col, msg)
	}
	// A value's own error without position (e.g. a bare number given for a
	// Duration).
	return nil, fmt.Errorf("%w: %s: %s", ErrSyntax, name, strings.TrimPrefix(err.Error(), "config: "))
}
