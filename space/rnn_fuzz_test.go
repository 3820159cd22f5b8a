package space

import "testing"

// FuzzParseRNN checks that ParseRNN never panics and that whatever it
// accepts is valid and prints back to a string that parses to the same
// genotype.
func FuzzParseRNN(f *testing.F) {
	f.Add(srcDARTSV1)
	f.Add(srcDARTSV2)
	f.Add(srcENAS)
	f.Add("Genotype(concat=[1], recurrent=[('relu', 0),],)")
	f.Fuzz(func(t *testing.T, src string) {
		g, err := ParseRNN(src)
		if err != nil {
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("ParseRNN accepted an invalid genotype %s: %v", g, err)
		}
		h, err := ParseRNN(g.String())
		if err != nil {
			t.Fatalf("ParseRNN(String()) of %s: %v", g, err)
		}
		if !h.Equal(g) {
			t.Fatalf("round trip: %s != %s", h, g)
		}
	})
}
