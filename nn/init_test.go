package nn

import (
	"encoding/json"
	"flag"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"go.yaml.in/yaml/v3"
)

func TestParseInit(t *testing.T) {
	for _, i := range []Init{InitModern, InitLegacy} {
		got, err := ParseInit(i.String())
		if err != nil || got != i {
			t.Errorf("ParseInit(%q) = %v, %v", i.String(), got, err)
		}
	}
	for _, s := range []string{"", "Legacy", "pytorch", "0.3.1"} {
		if _, err := ParseInit(s); err == nil || !strings.Contains(err.Error(), "modern") || !strings.Contains(err.Error(), "legacy") {
			t.Errorf("ParseInit(%q): error %v should name both schemes", s, err)
		}
	}
	if Init(0) != InitModern {
		t.Error("the zero Init is not InitModern")
	}
	if err := Init(2).Validate(); err == nil {
		t.Error("Init(2) validates")
	}
	// JSON holds the name; an absent field keeps the default.
	var c struct {
		Init Init `json:"init"`
	}
	c.Init = InitLegacy
	b, err := json.Marshal(c)
	if err != nil || string(b) != `{"init":"legacy"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	c.Init = InitModern
	if err := json.Unmarshal(b, &c); err != nil || c.Init != InitLegacy {
		t.Errorf("Unmarshal = %v, %v", c.Init, err)
	}
	if err := json.Unmarshal([]byte(`{"init":"old"}`), &c); err == nil {
		t.Error("Unmarshal accepted an unknown scheme")
	}
	if _, err := json.Marshal(struct{ I Init }{Init(5)}); err == nil {
		t.Error("Marshal accepted Init(5)")
	}
	// As a flag.
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f Init
	fs.Var(&f, "init", "")
	if err := fs.Parse([]string{"--init", "legacy"}); err != nil || f != InitLegacy {
		t.Errorf("flag: %v, %v", f, err)
	}
	if err := fs.Parse([]string{"--init", "x"}); err == nil {
		t.Error("flag accepted --init x")
	}
	// YAML (grid and config files) goes through the same text form.
	var y struct {
		Init Init `yaml:"init"`
	}
	if err := yaml.Unmarshal([]byte("init: legacy\n"), &y); err != nil || y.Init != InitLegacy {
		t.Errorf("yaml: %v, %v", y.Init, err)
	}
	if out, err := yaml.Marshal(y); err != nil || string(out) != "init: legacy\n" {
		t.Errorf("yaml.Marshal = %q, %v", out, err)
	}
	if err := yaml.Unmarshal([]byte("init: new\n"), &y); err == nil {
		t.Error("yaml accepted an unknown scheme")
	}
}

// bounds checks that every value lies in [−b, b] and that the largest
// magnitude is near b (n draws of U(±b) all below 0.9b: probability 0.9ⁿ).
func bounds(t *testing.T, what string, d []float32, b float64) {
	t.Helper()
	var m float64
	for _, v := range d {
		m = math.Max(m, math.Abs(float64(v)))
	}
	if m > b || m < 0.9*b {
		t.Errorf("%s: max |w| = %.6g, want in [0.9·%.6g, %.6g]", what, m, b, b)
	}
}

func newParams(i Init) *Params {
	p := NewParams(rand.New(rand.NewPCG(1, 2)))
	p.Init = i
	return p
}

func TestConvInit(t *testing.T) {
	const c, k = 16, 3
	dw := autograd.ConvOpts{Pad: [2]int{1, 1}, Groups: c}
	for _, tc := range []struct {
		init     Init
		dw, full float64 // hand-computed bounds
	}{
		// modern: fan_in = cin/groups·k·k = 9 for the depthwise conv.
		{InitModern, 1.0 / 3, 1.0 / 12},
		// legacy: fan_in = cin·k·k = 144 for both.
		{InitLegacy, 1.0 / 12, 1.0 / 12},
	} {
		p := newParams(tc.init)
		d := NewConv(p, "dw", c, c, k, k, dw)
		if got := d.W.Shape(); got[0] != c || got[1] != 1 || got[2] != k || got[3] != k {
			t.Fatalf("depthwise shape %v", got)
		}
		bounds(t, tc.init.String()+" depthwise 3×3 over 16", d.W.Value.Data, tc.dw)
		f := NewConv(p, "full", c, 8, k, k, autograd.ConvOpts{})
		bounds(t, tc.init.String()+" dense 3×3 16→8", f.W.Value.Data, tc.full)
	}
	// A dense conv is drawn identically under both schemes.
	a := NewConv(newParams(InitModern), "a", 6, 4, 5, 5, autograd.ConvOpts{})
	b := NewConv(newParams(InitLegacy), "a", 6, 4, 5, 5, autograd.ConvOpts{})
	for i := range a.W.Value.Data {
		if a.W.Value.Data[i] != b.W.Value.Data[i] {
			t.Fatalf("dense conv differs at %d: %g vs %g", i, a.W.Value.Data[i], b.W.Value.Data[i])
		}
	}
	// Linear layers too.
	la, lb := NewLinear(newParams(InitModern), "l", 20, 5), NewLinear(newParams(InitLegacy), "l", 20, 5)
	for i := range la.W.Value.Data {
		if la.W.Value.Data[i] != lb.W.Value.Data[i] {
			t.Fatal("linear weights differ between the schemes")
		}
	}
	bounds(t, "linear 20→5", la.W.Value.Data, 1/math.Sqrt(20))
}

func TestBatchNormInit(t *testing.T) {
	const c = 512
	for _, i := range []Init{InitModern, InitLegacy} {
		p := newParams(i)
		bn := NewBatchNorm(p, "bn", c, true)
		var sum float64
		for _, g := range bn.Gamma.Value.Data {
			switch {
			case i == InitModern && g != 1:
				t.Fatalf("modern γ = %g, want 1", g)
			case i == InitLegacy && (g < 0 || g >= 1):
				t.Fatalf("legacy γ = %g, want in [0, 1)", g)
			}
			sum += float64(g)
		}
		if i == InitLegacy {
			// U(0,1): mean 1/2, std of the mean 1/√(12·512) ≈ 0.013.
			if m := sum / c; math.Abs(m-0.5) > 0.06 {
				t.Errorf("legacy γ mean %.4f, want ≈ 0.5", m)
			}
		}
		for _, b := range bn.Beta.Value.Data {
			if b != 0 {
				t.Fatalf("%s β = %g, want 0", i, b)
			}
		}
		if st := bn.State; st.Mean[0] != 0 || st.Var[0] != 1 {
			t.Errorf("%s running statistics start at %g, %g", i, st.Mean[0], st.Var[0])
		}
		q := newParams(i)
		if nb := NewBatchNorm(q, "bn", c, false); nb.Gamma != nil || nb.Beta != nil || len(q.Vars) != 0 {
			t.Errorf("%s: affine=false BN has parameters", i)
		}
	}
}
