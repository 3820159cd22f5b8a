package space

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSample(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, name := range Names() {
		s := mustGet(t, name)
		drawn := map[string]bool{} // ops seen, to check none/noise can be drawn
		for range 500 {
			g := Sample(s, r)
			if err := g.ValidateIn(s); err != nil { // also checks distinct inputs
				t.Fatalf("%s: %s: %v", name, g, err)
			}
			for _, cell := range [][]Pair{g.Normal, g.Reduce} {
				for i := 0; i < len(cell); i += 2 {
					if cell[i].Source >= cell[i+1].Source {
						t.Fatalf("%s: node %d inputs %v, %v not distinct and in source order", name, i/2, cell[i], cell[i+1])
					}
				}
				for _, p := range cell {
					drawn[p.Op] = true
				}
			}
		}
		for _, lists := range [][][]string{s.Ops(false), s.Ops(true)} {
			for _, ops := range lists {
				for _, op := range ops {
					if !drawn[op] {
						t.Errorf("%s: op %s never drawn", name, op)
					}
				}
			}
		}
	}
}

func TestSampleS5CoversAll(t *testing.T) {
	s := mustGet(t, "s5")
	r := rand.New(rand.NewPCG(1, 1))
	seen := map[string]int{}
	for range 8100 {
		g := Sample(s, r)
		if !g.Equal(Genotype{Normal: g.Normal, NormalConcat: []int{2, 3}, Reduce: g.Normal, ReduceConcat: []int{2, 3}}) {
			t.Fatalf("shared space sampled different cells: %s", g)
		}
		seen[g.String()]++
	}
	if len(seen) != 81 {
		t.Fatalf("%d distinct architectures, want 81", len(seen))
	}
	for arch, n := range seen { // expected 100 each; 50 is > 5 sigma away
		if n < 50 || n > 150 {
			t.Errorf("%s drawn %d times of 8100", arch, n)
		}
	}
}

func TestEnumerateS5(t *testing.T) {
	s := mustGet(t, "s5")
	gs, err := Enumerate(s, 81)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, g := range gs {
		if err := g.ValidateIn(s); err != nil {
			t.Fatal(err)
		}
		seen[g.String()] = true
	}
	if len(gs) != 81 || len(seen) != 81 {
		t.Fatalf("%d architectures, %d distinct; want 81", len(gs), len(seen))
	}
	first := "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], normal_concat=range(2, 4), reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], reduce_concat=range(2, 4))"
	if gs[0].String() != first {
		t.Errorf("first = %s", gs[0])
	}
	// The last node's second edge varies fastest.
	if gs[1].Normal[3].Op != "skip_connect" || gs[80].Normal[0].Op != "max_pool_3x3" {
		t.Errorf("order: %s, %s", gs[1], gs[80])
	}
	again, _ := Enumerate(s, 100)
	for i := range gs {
		if !gs[i].Equal(again[i]) {
			t.Fatal("Enumerate order is not stable")
		}
	}
	if _, err := Enumerate(s, 80); err == nil || !strings.Contains(err.Error(), "81 architectures, more than the limit 80") {
		t.Errorf("limit: %v", err)
	}
}

func TestEnumerateMatchesCount(t *testing.T) {
	// A two-step DAG with S3 ops, not shared: per cell 1·9 · 3·9 = 243.
	s := uniform("tiny", 2, DAGEdges(2), []string{"none", "skip_connect", "sep_conv_3x3"}, false)
	gs, err := Enumerate(s, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, g := range gs {
		if err := g.ValidateIn(s); err != nil {
			t.Fatal(err)
		}
		seen[g.String()] = true
	}
	if want := 243 * 243; len(gs) != want || len(seen) != want || Count(s).Int64() != int64(want) {
		t.Errorf("%d architectures, %d distinct, Count %v; want %d", len(gs), len(seen), Count(s), want)
	}
}

func TestCount(t *testing.T) {
	cell := func(k int64) *big.Int { // C(2,2)·C(3,2)·C(4,2)·C(5,2) = 180 edge choices, k² ops each node
		n := big.NewInt(180)
		return n.Mul(n, new(big.Int).Exp(big.NewInt(k*k), big.NewInt(4), nil))
	}
	sq := func(n *big.Int) *big.Int { return new(big.Int).Mul(n, n) }
	want := map[string]*big.Int{
		"darts": sq(cell(8)), "s1": sq(cell(2)), "s2": sq(cell(2)),
		"s3": sq(cell(3)), "s4": sq(cell(2)), "s5": big.NewInt(81),
	}
	for name, w := range want {
		if got := Count(mustGet(t, name)); got.Cmp(w) != 0 {
			t.Errorf("Count(%s) = %v, want %v", name, got, w)
		}
	}
	if _, err := Enumerate(mustGet(t, "darts"), 1e9); err == nil {
		t.Error("Enumerate(darts) did not refuse")
	}
}
