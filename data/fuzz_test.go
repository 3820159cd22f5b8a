package data

import (
	"os"
	"path/filepath"
	"testing"
)

// checkDataset fails when a parse succeeded with an inconsistent result.
func checkDataset(t *testing.T, d *Dataset) {
	if d.N <= 0 || len(d.Pixels) != d.N*d.C*d.H*d.W || len(d.Labels) != d.N {
		t.Fatalf("inconsistent dataset: N=%d %d×%d×%d, %d pixels, %d labels", d.N, d.C, d.H, d.W, len(d.Pixels), len(d.Labels))
	}
	for _, l := range d.Labels {
		if int(l) >= d.Classes {
			t.Fatalf("label %d ≥ %d classes", l, d.Classes)
		}
	}
}

func fuzzParse(f *testing.F, parse func(string, []byte) (*Dataset, error)) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := parse("fuzz", b); err == nil {
			checkDataset(t, d)
		}
	})
}

func FuzzCIFAR10(f *testing.F)  { fuzzParse(f, parseCIFAR10) }
func FuzzCIFAR100(f *testing.F) { fuzzParse(f, parseCIFAR100) }

func FuzzSVHN(f *testing.F) {
	for _, name := range []string{"one_v6.mat", "one_v7.mat"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "svhn", name)); err == nil {
			f.Add(b)
		}
	}
	fuzzParse(f, parseSVHN)
}

func FuzzIDX(f *testing.F) {
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, img, lbl []byte) {
		if d, err := parseIDX("img", img, "lbl", lbl); err == nil {
			checkDataset(t, d)
		}
	})
}
