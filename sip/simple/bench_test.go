package simple

import "testing"

// Per-message costs of the codecs on the gateway's hot paths.

func BenchmarkParseCPIM(b *testing.B) {
	in := readTestdata(b, "cpim-rfc5438-7.1.1.3.txt")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCPIM(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalCPIM(b *testing.B) {
	c, err := ParseCPIM(readTestdata(b, "cpim-rfc5438-7.1.1.3.txt"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePIDF(b *testing.B) {
	in := readTestdata(b, "pidf-rfc8048-example19.xml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePIDF(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalPIDF(b *testing.B) {
	p, err := ParsePIDF(readTestdata(b, "pidf-rfc8048-example19.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseIsComposing(b *testing.B) {
	in := readTestdata(b, "iscomposing-rfc3994-5-active.xml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseIsComposing(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseIMDN(b *testing.B) {
	in := readTestdata(b, "imdn-rfc5438-7.2.1.1-delivered.xml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseIMDN(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalIMDN(b *testing.B) {
	n, err := ParseIMDN(readTestdata(b, "imdn-rfc5438-7.2.1.1-delivered.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
