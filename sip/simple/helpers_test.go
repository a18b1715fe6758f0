package simple

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// -update rewrites the golden files of Marshal output in testdata/golden.
var update = flag.Bool("update", false, "rewrite testdata/golden files")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s: output differs from golden file\n got: %q\nwant: %q", name, got, want)
	}
}

// seedFiles returns the testdata files whose names start with prefix.
func seedFiles(t testing.TB, prefix string) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", prefix+"*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/%s* files: %v", prefix, err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// canon returns a deep copy-free canonical form for comparisons: every
// time.Time reachable from v (a pointer) is replaced by the same instant
// in a fixed zone with the same offset, so that two decodings of the same
// RFC 3339 text compare equal with reflect.DeepEqual whatever *Location
// time.Parse picked (UTC, Local or a fixed zone).
func canon(v any) any {
	canonValue(reflect.ValueOf(v))
	return v
}

var timeType = reflect.TypeFor[time.Time]()

func canonValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			canonValue(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			_, off := t.Zone()
			v.Set(reflect.ValueOf(time.Unix(t.Unix(), int64(t.Nanosecond())).In(time.FixedZone("", off))))
			return
		}
		for i := range v.NumField() {
			canonValue(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			canonValue(v.Index(i))
		}
	}
}

// same reports whether a and b (pointers) are equal up to time zones as
// canon describes.
func same(a, b any) bool {
	return reflect.DeepEqual(canon(a), canon(b))
}

// mustTime parses an RFC 3339 time for expectations.
func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wantErr checks that err wraps want and names the codec.
func wantErr(t *testing.T, err, want error, codec string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %q does not wrap %v", err, want)
	}
	if !strings.HasPrefix(err.Error(), "simple: "+codec+": ") {
		t.Fatalf("error %q lacks the prefix simple: %s:", err, codec)
	}
}
