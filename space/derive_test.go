package space

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// zeros returns a rows×cols α of zeros (uniform softmax on every edge).
func zeros(rows, cols int) [][]float64 {
	a := make([][]float64, rows)
	for i := range a {
		a[i] = make([]float64, cols)
	}
	return a
}

func alphaFor(s Space, reduce bool) [][]float64 {
	return zeros(s.AlphaShape(reduce))
}

func pairsEqual(t *testing.T, what string, got, want []Pair) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func TestDeriveTiesUniform(t *testing.T) {
	// All-zero α: every edge ties, so each node keeps sources 0 and 1, and
	// every edge picks its first op that is not none.
	s := mustGet(t, "darts")
	g := Derive(s, alphaFor(s, false), alphaFor(s, true))
	var want []Pair
	for range 4 {
		want = append(want, Pair{"max_pool_3x3", 0}, Pair{"max_pool_3x3", 1})
	}
	pairsEqual(t, "normal", g.Normal, want)
	pairsEqual(t, "reduce", g.Reduce, want)
	if !slices.Equal(g.NormalConcat, []int{2, 3, 4, 5}) || !slices.Equal(g.ReduceConcat, []int{2, 3, 4, 5}) {
		t.Errorf("concat %v %v", g.NormalConcat, g.ReduceConcat)
	}
	if !strings.Contains(g.String(), "normal_concat=range(2, 6)") {
		t.Errorf("String() = %s", g)
	}
}

func TestDeriveNoneExcludedAndSoftmax(t *testing.T) {
	s := mustGet(t, "darts")
	an, ar := alphaFor(s, false), alphaFor(s, true)
	// Node 0: edge 0 is dominated by none, so it scores low, but a node with
	// two edges still keeps both, strongest (edge 1) first.
	an[0][0] = 10
	// Node 1 (edges 2,3,4): none dominates edge 2, edge 4 prefers sep_conv_5x5.
	an[2][0] = 10
	an[4][5] = 2
	// Node 2 (edges 5..8): edge 5 has the larger logits (3 on every real op)
	// but the flatter softmax; edge 6 wins on softmax weight with logit 2.
	for k := 1; k < 8; k++ {
		an[5][k] = 3
	}
	an[6][3] = 2
	an[7][3] = 1.5
	// Node 3 (edges 9..13): a tie between the two best ops keeps the first.
	an[12][4], an[12][6] = 1, 1
	an[13][7] = 0.5
	g := Derive(s, an, ar)
	pairsEqual(t, "normal", g.Normal, []Pair{
		{"max_pool_3x3", 1}, {"max_pool_3x3", 0},
		{"sep_conv_5x5", 2}, {"max_pool_3x3", 1},
		{"skip_connect", 1}, {"skip_connect", 2},
		{"sep_conv_3x3", 3}, {"dil_conv_5x5", 4},
	})
}

func TestDeriveS1PerEdgeLists(t *testing.T) {
	s := mustGet(t, "s1")
	an, ar := alphaFor(s, false), alphaFor(s, true)
	an[5] = []float64{2, 0}  // node 2, source 0: [max_pool_3x3, skip_connect]
	an[6] = []float64{0, 1}  // node 2, source 1: [skip_connect, sep_conv_3x3]
	an[10] = []float64{3, 0} // node 3, source 1: [max_pool_3x3, skip_connect]
	an[13] = []float64{0, 1} // node 3, source 4: [dil_conv_3x3, dil_conv_5x5]
	ar[1] = []float64{0, 1}  // node 0, source 1: [max_pool_3x3, dil_conv_3x3]
	ar[4] = []float64{-1, 2} // node 1, source 2: [skip_connect, dil_conv_5x5]
	g := Derive(s, an, ar)
	pairsEqual(t, "normal", g.Normal, []Pair{
		{"skip_connect", 0}, {"skip_connect", 1},
		{"skip_connect", 0}, {"skip_connect", 1},
		{"max_pool_3x3", 0}, {"sep_conv_3x3", 1},
		{"max_pool_3x3", 1}, {"dil_conv_5x5", 4},
	})
	pairsEqual(t, "reduce", g.Reduce, []Pair{
		{"dil_conv_3x3", 1}, {"max_pool_3x3", 0},
		{"dil_conv_5x5", 2}, {"max_pool_3x3", 0},
		{"max_pool_3x3", 0}, {"max_pool_3x3", 1},
		{"max_pool_3x3", 0}, {"max_pool_3x3", 1},
	})
}

func TestDeriveS3NoneDominates(t *testing.T) {
	s := mustGet(t, "s3") // [none, skip_connect, sep_conv_3x3]
	an, ar := alphaFor(s, false), alphaFor(s, true)
	for e := range an {
		an[e] = []float64{5, 0, 1}
		ar[e] = []float64{5, 1, 1} // tie between the real ops: first wins
	}
	// Node 1: edge 4 (source 2) is less dominated by none, so it is strongest.
	an[4] = []float64{1, 0, 1}
	g := Derive(s, an, ar)
	pairsEqual(t, "normal", g.Normal, []Pair{
		{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
		{"sep_conv_3x3", 2}, {"sep_conv_3x3", 0},
		{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
		{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
	})
	for _, p := range g.Reduce {
		if p.Op != "skip_connect" {
			t.Fatalf("reduce %v: want skip_connect everywhere", g.Reduce)
		}
	}
}

func TestDeriveS5Shared(t *testing.T) {
	s := mustGet(t, "s5") // [sep_conv_3x3, skip_connect, max_pool_3x3]
	a := [][]float64{
		{0, 1, 0},  // node 0 ← c_{k-2}
		{2, 0, 0},  // node 0 ← c_{k-1}
		{0, 0, 1},  // node 1 ← c_{k-1}
		{0, 3, -1}, // node 1 ← node 0
	}
	g := Derive(s, a, nil)
	want := []Pair{{"sep_conv_3x3", 1}, {"skip_connect", 0}, {"skip_connect", 2}, {"max_pool_3x3", 1}}
	pairsEqual(t, "normal", g.Normal, want)
	pairsEqual(t, "reduce", g.Reduce, want)
	if got := g.String(); !strings.Contains(got, "normal_concat=range(2, 4)") {
		t.Errorf("String() = %s", got)
	}
	if err := g.ValidateIn(s); err != nil {
		t.Error(err)
	}
}

func TestDerivePanicsOnShape(t *testing.T) {
	s := mustGet(t, "s2")
	for name, f := range map[string]func(){
		"rows":    func() { Derive(s, zeros(13, 2), zeros(14, 2)) },
		"columns": func() { Derive(s, zeros(14, 2), zeros(14, 3)) },
		"space":   func() { Derive(Space{}, nil, nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "space: Derive") {
					t.Errorf("%s: recovered %v, want a space: Derive panic", name, r)
				}
			}()
			f()
		}()
	}
}

// TestOneHotDerive checks OneHot∘Derive on random α: ones exactly where Derive
// chose, and deriving from the one-hot rows (as logits) gives the same cells.
func TestOneHotDerive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range Names() {
		s := mustGet(t, name)
		for range 50 {
			an, ar := alphaFor(s, false), alphaFor(s, true)
			for _, a := range [][][]float64{an, ar} {
				for _, row := range a {
					for k := range row {
						row[k] = r.NormFloat64()
					}
				}
			}
			g := Derive(s, an, ar)
			n, rd, err := OneHot(s, g)
			if err != nil {
				t.Fatalf("%s: OneHot(%s): %v", name, g, err)
			}
			for _, c := range []struct {
				reduce bool
				alpha  [][]float64
				pairs  []Pair
			}{{false, n, g.Normal}, {true, rd, g.Reduce}} {
				ones := 0
				for e, row := range c.alpha {
					for k, v := range row {
						if v == 0 {
							continue
						}
						ones++
						want := Pair{Op: s.Ops(c.reduce)[e][k], Source: s.Edges[e].Source}
						if v != 1 || !slices.Contains(c.pairs[2*s.Edges[e].Node:2*s.Edges[e].Node+2], want) {
							t.Fatalf("%s: α[%d][%d] = %v not chosen by %s", name, e, k, v, g)
						}
					}
				}
				if ones != 2*s.Steps {
					t.Fatalf("%s: %d ones, want %d", name, ones, 2*s.Steps)
				}
			}
			if h := Derive(s, n, rd); !sameCells(g, h) {
				t.Fatalf("%s: Derive(OneHot(g)) = %s, want %s", name, h, g)
			}
		}
	}
}

// sameCells compares genotypes node by node, ignoring the order inside a node.
func sameCells(g, h Genotype) bool {
	norm := func(p []Pair) []Pair {
		p = slices.Clone(p)
		for i := 0; i+1 < len(p); i += 2 {
			if p[i].Source > p[i+1].Source {
				p[i], p[i+1] = p[i+1], p[i]
			}
		}
		return p
	}
	return slices.Equal(norm(g.Normal), norm(h.Normal)) && slices.Equal(norm(g.Reduce), norm(h.Reduce))
}

func TestOneHotErrors(t *testing.T) {
	s1 := mustGet(t, "s1")
	s5 := mustGet(t, "s5")
	darts := mustGet(t, "darts")
	base := func(s Space) Genotype { return Derive(s, alphaFor(s, false), alphaFor(s, true)) }

	if _, _, err := OneHot(darts, DARTSV2); err != nil {
		t.Errorf("DARTSV2 in darts: %v", err)
	}
	cases := []struct {
		name string
		s    Space
		g    func() Genotype
		want string
	}{
		{"op not on edge", s1, func() Genotype { g := base(s1); g.Normal[0].Op = "sep_conv_5x5"; return g }, `op "sep_conv_5x5" is not on edge 0`},
		{"pool on the wrong edge", s1, func() Genotype { g := base(s1); g.Normal[1].Op = "max_pool_3x3"; return g }, "is not on edge 1"},
		{"no such edge", s5, func() Genotype { g := base(s5); g.Normal[2].Source = 0; g.Reduce[2].Source = 0; return g }, "no edge from source 0 into node 1"},
		{"same edge twice", darts, func() Genotype { g := base(darts); g.Normal[5].Source = 0; return g }, "takes source 0 twice"},
		{"node count", darts, func() Genotype { g := base(darts); g.Normal = g.Normal[:6]; g.NormalConcat = []int{2, 3, 4}; return g }, "has 3 nodes"},
		{"concat", darts, func() Genotype { g := base(darts); g.ReduceConcat = []int{2, 3, 5}; return g }, "reduce_concat"},
		{"shared differs", s5, func() Genotype { g := base(s5); g.Reduce[0].Op = "max_pool_3x3"; return g }, "shares one α"},
		{"invalid genotype", darts, func() Genotype { g := base(darts); g.Normal[0].Op = "conv"; return g }, "unknown op"},
	}
	for _, c := range cases {
		_, _, err := OneHot(c.s, c.g())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
