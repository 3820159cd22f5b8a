package space

import "testing"

// FuzzParse checks that Parse never panics and that whatever it accepts
// prints back to a string that parses to the same genotype. Seeds live in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(dartsV2Text)
	f.Add(s1Example)
	f.Fuzz(func(t *testing.T, src string) {
		g, err := Parse(src)
		if err != nil {
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid genotype %s: %v", g, err)
		}
		h, err := Parse(g.String())
		if err != nil {
			t.Fatalf("Parse(String()) of %s: %v", g, err)
		}
		if !h.Equal(g) {
			t.Fatalf("round trip: %s != %s", h, g)
		}
	})
}
