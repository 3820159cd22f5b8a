package search

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/space"
)

func rsRunner(t *testing.T) *Runner {
	t.Helper()
	cfg := tinyConfig()
	cfg.Method, cfg.Space, cfg.HessianEvery = "rs-ws", "darts", 0
	r, err := NewRunner(cfg, t.TempDir(), fast.Backend{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	r.b.Discrete = true
	return r
}

// unchosenOps lists the name prefixes of the ops a genotype leaves out.
func unchosenOps(t *testing.T, sp space.Space, g space.Genotype, layers int) []string {
	t.Helper()
	normal, reduce, err := space.OneHot(sp, g)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for cell := 0; cell < layers; cell++ {
		rows := normal
		if cell == layers/3 || cell == 2*layers/3 {
			rows = reduce
		}
		for e, row := range rows {
			for k, v := range row {
				if v == 0 {
					out = append(out, fmt.Sprintf("cells.%d.edges.%d.%d.", cell, e, k))
				}
			}
		}
	}
	return out
}

// TestRandomWSUpdatesAllStatistics: an RS-ws training step moves the running
// statistics of the ops the sampled architecture leaves out, as the
// reference's 0·op(x) does, while loss, accuracy and the trained weights are
// bit for bit those of the step that skips them.
func TestRandomWSUpdatesAllStatistics(t *testing.T) {
	all, skip := rsRunner(t), rsRunner(t)
	skip.b.SkipUnchosen = true
	ep := all.train.Epoch(0)
	var tb data.Batch
	for step := 0; step < 3; step++ {
		ep.Fill(step, &tb)
		unchosen := unchosenOps(t, all.sp, all.sample(rngSample, 0, step), all.Cfg.Layers)
		before := all.b.Net.W.Snapshot()
		ra := all.randomStep(toBatch(&tb), 0.025, 0, step)
		rs := skip.randomStep(toBatch(&tb), 0.025, 0, step)
		if ra != rs {
			t.Fatalf("step %d: %+v computing every op, %+v skipping the unchosen", step, ra, rs)
		}
		for i, v := range all.b.Net.W.Vars {
			w := skip.b.Net.W.Vars[i].Value.Data
			for j, x := range v.Value.Data {
				if math.Float32bits(x) != math.Float32bits(w[j]) {
					t.Fatalf("step %d: %s[%d] = %g vs %g", step, all.b.Net.W.Names[i], j, x, w[j])
				}
			}
		}
		moved, n := 0, 0
		for i, st := range all.b.Net.W.BN {
			name := all.b.Net.W.BNNames[i] + "."
			un := false
			for _, p := range unchosen {
				un = un || strings.HasPrefix(name, p)
			}
			if !un {
				continue
			}
			n++
			if st.Mean[0] != before.BNMean[i][0] || st.Var[0] != before.BNVar[i][0] {
				moved++
			}
			if sk := skip.b.Net.W.BN[i]; step == 0 && (sk.Mean[0] != 0 || sk.Var[0] != 1) {
				t.Errorf("skipping step moved unchosen %s", name)
			}
		}
		if n == 0 || moved != n {
			t.Errorf("step %d: %d of %d unchosen batch norms moved", step, moved, n)
		}
	}
}

// TestValidateRandomWS: the per-epoch RS-ws validation is deterministic,
// scores architectures of the space (not softmax of a one-hot α) and leaves
// α alone.
func TestValidateRandomWS(t *testing.T) {
	r := rsRunner(t)
	r.b.setArchitecture(r.sp, r.sample(rngSample, 0, 0))
	alpha := append([]float32(nil), r.b.Net.AlphaNormal.Value.Data...)
	l1, a1 := r.validateRandomWS(1)
	l2, a2 := r.validateRandomWS(1)
	if l1 != l2 || a1 != a2 {
		t.Errorf("two validations: %g/%g%% and %g/%g%%", l1, a1, l2, a2)
	}
	if math.IsNaN(l1) || a1 < 0 || a1 > 100 {
		t.Errorf("loss %g, accuracy %g", l1, a1)
	}
	for j, v := range r.b.Net.AlphaNormal.Value.Data {
		if v != alpha[j] {
			t.Fatal("validateRandomWS changed α")
		}
	}
	// Batch j is scored with panel architecture j, the same every epoch.
	it := data.Iterate(r.infer.Epoch(1), 0, 0)
	defer it.Close()
	var c, n int
	archs := map[string]bool{}
	for j := 0; ; j++ {
		vb, ok := it.Next()
		if !ok {
			break
		}
		g := r.panel(j)
		archs[g.String()] = true
		r.b.setArchitecture(r.sp, g)
		res := r.b.Evaluate(toBatch(vb), true, 1, j)
		c, n = c+res.Correct, n+res.N
	}
	if want := 100 * float64(c) / float64(n); a1 != want {
		t.Errorf("accuracy %g, by hand %g", a1, want)
	}
	if len(archs) < 2 {
		t.Errorf("the panel holds %d architectures", len(archs))
	}
}
