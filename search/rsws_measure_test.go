package search

import (
	"math"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/kernels/fast"
)

func rsEnvInt(k string, d int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return d
}

// TestMeasureRSWS measures what skipping the unchosen ops in RS-ws' training
// steps (Bilevel.SkipUnchosen, rdarts' old behaviour) does against running
// them for their batch-norm statistics (the reference's): two runners train
// in lockstep (their weights stay bit-identical), then score the same
// architectures with each one's statistics. It needs the installed
// Fashion-MNIST and minutes of CPU, so it runs only on request:
//
//	RDARTS_MEASURE=1 SPACE=darts TRAIN=4000 EPOCHS=8 ARCHS=20 \
//	  go test ./search/ -run MeasureRSWS -v -timeout 60m
//
// (LAYERS and CH set the cells and channels, 5 and 8 by default.) The
// README's RS-ws numbers come from it.
func TestMeasureRSWS(t *testing.T) {
	if os.Getenv("RDARTS_MEASURE") == "" {
		t.Skip()
	}
	cfg := Defaults()
	cfg.Method, cfg.Dataset, cfg.Data = "rs-ws", "fashion-mnist", ""
	cfg.Space = os.Getenv("SPACE")
	cfg.Layers, cfg.Channels, cfg.BatchSize = rsEnvInt("LAYERS", 5), rsEnvInt("CH", 8), 64
	cfg.TrainSize, cfg.Epochs = rsEnvInt("TRAIN", 4000), rsEnvInt("EPOCHS", 4)
	cfg.HessianEvery = 0
	var rs [2]*Runner
	for i := range rs {
		r, err := NewRunner(cfg, t.TempDir(), fast.Backend{}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		r.b.Discrete, r.b.SkipUnchosen = true, i == 1
		rs[i] = r
	}
	steps := rs[0].train.Steps()
	var tb data.Batch
	var dur [2]time.Duration
	for e := 0; e < cfg.Epochs; e++ {
		ep := rs[0].train.Epoch(e)
		for s := 0; s < steps; s++ {
			ep.Fill(s, &tb)
			for i, r := range rs {
				t0 := time.Now()
				r.randomStep(toBatch(&tb), rs[0].LR(e), e, s)
				dur[i] += time.Since(t0)
			}
		}
		// per-epoch mean accuracy of the validation panel
		l0, a0 := rs[0].validateRandomWS(e)
		l1, a1 := rs[1].validateRandomWS(e)
		t.Logf("epoch %d: panel acc all-ops %.2f%% (loss %.3f), skip %.2f%% (loss %.3f)", e, a0, l0, a1, l1)
	}
	t.Logf("%d steps: %.1f ms/step all ops, %.1f ms/step skipping", steps*cfg.Epochs,
		dur[0].Seconds()*1e3/float64(steps*cfg.Epochs), dur[1].Seconds()*1e3/float64(steps*cfg.Epochs))
	// Score a panel of architectures on the whole α half with both statistics.
	order := rs[0].infer.Epoch(cfg.Epochs)
	var buf data.Batch
	n := rsEnvInt("ARCHS", 30)
	acc := [2][]float64{}
	for j := 0; j < n; j++ {
		g := rs[0].sample(rngSelect, 0, j)
		for i, r := range rs {
			acc[i] = append(acc[i], r.scoreArch(g, order, 0, order.Steps(), &buf))
		}
	}
	var d, m0, m1 float64
	for j := range acc[0] {
		d += acc[0][j] - acc[1][j]
		m0 += acc[0][j]
		m1 += acc[1][j]
	}
	t.Logf("%d archs: mean acc all-ops %.2f%%, skip %.2f%%, mean diff %.2f pp", n, m0/float64(n), m1/float64(n), d/float64(n))
	t.Logf("spearman %.3f; best all-ops #%d, best skip #%d", rsSpearman(acc[0], acc[1]), rsArgmax(acc[0]), rsArgmax(acc[1]))
	t.Logf("all: %v", rsRound(acc[0]))
	t.Logf("skip: %v", rsRound(acc[1]))
}

func rsArgmax(a []float64) int {
	b := 0
	for i, v := range a {
		if v > a[b] {
			b = i
		}
	}
	return b
}

func rsRound(a []float64) []float64 {
	out := make([]float64, len(a))
	for i, v := range a {
		out[i] = float64(int(v*10+0.5)) / 10
	}
	return out
}

func rsRanks(a []float64) []float64 {
	idx := make([]int, len(a))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return a[idx[i]] < a[idx[j]] })
	r := make([]float64, len(a))
	for k := 0; k < len(idx); {
		l := k
		for l+1 < len(idx) && a[idx[l+1]] == a[idx[k]] {
			l++
		}
		for m := k; m <= l; m++ {
			r[idx[m]] = float64(k+l) / 2
		}
		k = l + 1
	}
	return r
}

func rsSpearman(a, b []float64) float64 {
	ra, rb := rsRanks(a), rsRanks(b)
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma /= float64(len(ra))
	mb /= float64(len(rb))
	var c, va, vb float64
	for i := range ra {
		c += (ra[i] - ma) * (rb[i] - mb)
		va += (ra[i] - ma) * (ra[i] - ma)
		vb += (rb[i] - mb) * (rb[i] - mb)
	}
	return c / (math.Sqrt(va) * math.Sqrt(vb))
}
