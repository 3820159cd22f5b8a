package supernet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
)

// setOneHot writes a sampled genotype's one-hot α and returns the name
// prefixes of the ops it does not choose.
func setOneHot(t *testing.T, n *Network, seed uint64) (unchosen []string) {
	t.Helper()
	sp := n.Cfg.Space
	g := space.Sample(sp, rand.New(rand.NewPCG(seed, 1)))
	normal, reduce, err := space.OneHot(sp, g)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range n.Alphas() {
		rows := [][][]float64{normal, reduce}[i]
		k := 0
		for _, row := range rows {
			for _, v := range row {
				a.Value.Data[k] = float32(v)
				k++
			}
		}
	}
	for cell := 0; cell < n.Cfg.Layers; cell++ {
		red := IsReduction(cell, n.Cfg.Layers)
		rows := normal
		if red {
			rows = reduce
		}
		for e, row := range rows {
			for k, v := range row {
				if v == 0 {
					unchosen = append(unchosen, fmt.Sprintf("cells.%d.edges.%d.%d.", cell, e, k))
				}
			}
		}
	}
	return unchosen
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// TestDiscreteStats runs one training pass with a one-hot α under Discrete
// and DiscreteStats on two identical networks: logits and every gradient
// agree bit for bit, the running statistics of the chosen ops and the cell
// scaffolding agree, and those of the unchosen ops move under DiscreteStats
// only. S4 holds the noise op, which must not shift the random stream.
func TestDiscreteStats(t *testing.T) {
	for _, tc := range []struct {
		space string
		seed  uint64
	}{{"darts", 5}, {"darts", 6}, {"darts", 7}, {"darts", 8}, {"s4", 5}, {"s4", 6}, {"s2", 5}, {"s3", 5}} {
		name := fmt.Sprintf("%s/%d", tc.space, tc.seed)
		var logits [2][]float32
		var nets [2]*Network
		var unchosen []string
		for i, mix := range []Mixing{Discrete, DiscreteStats} {
			n := tiny(t, tc.space, 3, 4, 3)
			unchosen = setOneHot(t, n, tc.seed)
			x, y := batch(6, 3, 8)
			tp := autograd.NewTape(purego.Backend{})
			c := &nn.Ctx{T: tp, Train: true, Rng: rand.New(rand.NewPCG(1, 1))}
			out := n.ForwardMixing(c, tp.Const(x), mix)
			tp.Backward(tp.CrossEntropy(out, y))
			logits[i], nets[i] = append([]float32(nil), out.Value.Data...), n
			tp.Reset()
		}
		for j := range logits[0] {
			if math.Float32bits(logits[0][j]) != math.Float32bits(logits[1][j]) {
				t.Fatalf("%s: logit %d: %g (discrete) vs %g (discrete-stats)", name, j, logits[0][j], logits[1][j])
			}
		}
		for i, v := range nets[0].W.Vars {
			g0, g1 := v.Grad.Data, nets[1].W.Vars[i].Grad.Data
			for j := range g0 {
				if math.Float32bits(g0[j]) != math.Float32bits(g1[j]) {
					t.Fatalf("%s: gradient of %s[%d]: %g vs %g", name, nets[0].W.Names[i], j, g0[j], g1[j])
				}
			}
		}
		moved, still := 0, 0
		for i, st := range nets[0].W.BN {
			bn := nets[0].W.BNNames[i]
			st1 := nets[1].W.BN[i]
			if !hasPrefix(bn+".", unchosen) {
				for j := range st.Mean {
					if st.Mean[j] != st1.Mean[j] || st.Var[j] != st1.Var[j] {
						t.Fatalf("%s: statistics of chosen %s differ", name, bn)
					}
				}
				continue
			}
			if st.Mean[0] != 0 || st.Var[0] != 1 {
				t.Errorf("%s: discrete moved the statistics of unchosen %s", name, bn)
			}
			if st1.Mean[0] == 0 && st1.Var[0] == 1 { // a node without inputs is 0: mean stays 0
				t.Errorf("%s: discrete-stats left unchosen %s at its initial statistics", name, bn)
			} else {
				moved++
			}
			still++
		}
		if still == 0 || moved != still {
			t.Errorf("%s: %d of %d unchosen batch norms moved", name, moved, still)
		}
	}
}

// TestDiscreteStatsEval: in eval mode DiscreteStats is Discrete and moves no
// statistics.
func TestDiscreteStatsEval(t *testing.T) {
	n := tiny(t, "darts", 3, 4, 3)
	setOneHot(t, n, 5)
	x, _ := batch(4, 3, 8)
	before := n.W.Snapshot()
	var outs [2][]float32
	for i, mix := range []Mixing{Discrete, DiscreteStats} {
		tp := autograd.NewTape(purego.Backend{})
		tp.NoGrad = true
		c := &nn.Ctx{T: tp, Rng: rand.New(rand.NewPCG(1, 1))}
		outs[i] = append([]float32(nil), n.ForwardMixing(c, tp.Const(x), mix).Value.Data...)
	}
	for j := range outs[0] {
		if outs[0][j] != outs[1][j] {
			t.Fatalf("eval logit %d: %g vs %g", j, outs[0][j], outs[1][j])
		}
	}
	after := n.W.Snapshot()
	for i := range before.BNMean {
		for j := range before.BNMean[i] {
			if before.BNMean[i][j] != after.BNMean[i][j] || before.BNVar[i][j] != after.BNVar[i][j] {
				t.Fatalf("eval pass moved %s", n.W.BNNames[i])
			}
		}
	}
	if Softmax.String() != "softmax" || DiscreteStats.String() != "discrete-stats" {
		t.Error("Mixing names")
	}
}
