package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/optim"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/supernet"
	"github.com/rdarts/rdarts/tensor"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// tinyConfig searches the 200-image Fashion-MNIST fixture in seconds.
func tinyConfig() Config {
	c := Defaults()
	c.Dataset, c.Data = "fashion-mnist", "../data/testdata/fashion-mnist"
	c.Space, c.Epochs, c.Layers, c.Channels, c.BatchSize = "s2", 3, 3, 4, 16
	c.HessianEvery = 1
	return c
}

func randBatch(r *rand.Rand, n, c, h, classes int) Batch {
	x := tensor.New(n, c, h, h)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(r.IntN(classes))
	}
	return Batch{X: x, Y: y}
}

// TestSecondOrderAlphaGradient compares the unrolled α gradient (docs/method.md, Second order)
// with a direct central difference of
// F(α) = L_val(w − η(m·buf + ∇_w L_train(w,α) + λw), α) along random
// directions. ReLUs are swapped for a steep softplus: with real ReLUs w′
// jumps whenever one flips and F is too rough for a float32 difference.
func TestSecondOrderAlphaGradient(t *testing.T) {
	sp, _ := space.Get("s2")
	net, err := supernet.New(supernet.Config{Space: sp, InChannels: 3, Classes: 3, C: 4, Layers: 3}, 5)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Defaults()
	cfg.WeightDecay = 3e-3
	b := NewBilevel(net, fast.Backend{}, cfg)
	b.ctx.Smooth = 4
	r := rand.New(rand.NewPCG(1, 2))
	for _, a := range b.a {
		for j := range a.Value {
			a.Value[j] = float32(r.NormFloat64())
		}
	}
	train, val := randBatch(r, 16, 3, 8, 3), randBatch(r, 16, 3, 8, 3)
	const lr = 0.05
	b.WeightStep(train, lr, 0, 0, 0) // gives SGD a momentum buffer
	b.Order = 1
	b.AlphaGrad(train, val, lr, 0, 0, 1)
	first := cloneGrads(b.a)
	b.Order = 2
	b.AlphaGrad(train, val, lr, 0, 0, 1)
	got := cloneGrads(b.a)
	F := func() float64 {
		b.zeroW()
		b.Pass(train, true, false, 0, 0, 1, rngUnrolled)
		saved := cloneValues(b.w)
		for i, p := range b.w {
			buf := b.SGD.MomentumBuffer(i)
			for j := range p.Value {
				p.Value[j] -= lr * (0.9*buf[j] + p.Grad[j] + 3e-3*saved[i][j])
			}
		}
		l := b.Pass(val, false, false, 0, 0, 1, rngAlpha).Loss
		for i, p := range b.w {
			copy(p.Value, saved[i])
		}
		return l
	}
	for trial := 0; trial < 3; trial++ {
		dir := make([][]float32, len(b.a))
		var want, firstOrder float64
		for i, a := range b.a {
			dir[i] = make([]float32, len(a.Value))
			for j := range dir[i] {
				dir[i][j] = float32(r.NormFloat64())
				want += float64(dir[i][j]) * float64(got[i][j])
				firstOrder += float64(dir[i][j]) * float64(first[i][j])
			}
		}
		step := func(eps float32) {
			for i, a := range b.a {
				for j := range a.Value {
					a.Value[j] += eps * dir[i][j]
				}
			}
		}
		const eps = 1e-3
		step(eps)
		fp := F()
		step(-2 * eps)
		fm := F()
		step(eps)
		num := (fp - fm) / (2 * eps)
		t.Logf("direction %d: unrolled %.6g, finite difference %.6g, first order %.6g", trial, want, num, firstOrder)
		if math.Abs(num-want) > 2e-4+1e-2*math.Abs(num) {
			t.Errorf("direction %d: unrolled gradient %.6g, finite difference %.6g", trial, want, num)
		}
		// The Hessian term must matter here, or the test proves nothing.
		if math.Abs(num-firstOrder) < 5*(2e-4+1e-2*math.Abs(num)) {
			t.Errorf("direction %d: first-order gradient %.6g is as good as the unrolled one", trial, firstOrder)
		}
	}
}

func cloneValues(ps []optim.Param) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = append([]float32(nil), p.Value...)
	}
	return out
}

func cloneGrads(ps []optim.Param) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = append([]float32(nil), p.Grad...)
	}
	return out
}

func runSearch(t *testing.T, cfg Config, dir string, resume bool, stopAfter int) error {
	t.Helper()
	r, err := NewRunner(cfg, dir, fast.Backend{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	r.StopAfter = stopAfter
	if err := r.Start(resume); err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background())
}

// metricsWithoutTime reads metrics.jsonl with the timings zeroed.
func metricsWithoutTime(t *testing.T, dir string) []Metrics {
	t.Helper()
	ms, err := ReadMetrics(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		ms[i].Seconds = 0
	}
	return ms
}

func sameMetrics(t *testing.T, a, b []Metrics) {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("metrics differ:\n%s\n%s", ja, jb)
	}
}

func TestDeterministicAndInterruptResume(t *testing.T) {
	cfg := tinyConfig()
	base := t.TempDir()
	a, b, c := filepath.Join(base, "a"), filepath.Join(base, "b"), filepath.Join(base, "c")
	if err := runSearch(t, cfg, a, false, 0); err != nil {
		t.Fatal(err)
	}
	if err := runSearch(t, cfg, b, false, 0); err != nil {
		t.Fatal(err)
	}
	ma := metricsWithoutTime(t, a)
	if len(ma) != cfg.Epochs || ma[0].EV == nil {
		t.Fatalf("want %d epochs with eigenvalues, have %+v", cfg.Epochs, ma)
	}
	sameMetrics(t, ma, metricsWithoutTime(t, b))
	// Interrupted mid-epoch (as Ctrl-C does), then resumed twice.
	if err := runSearch(t, cfg, c, false, 4); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, have %v", err)
	}
	if err := runSearch(t, cfg, c, true, 9); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, have %v", err)
	}
	if err := runSearch(t, cfg, c, true, 0); err != nil {
		t.Fatal(err)
	}
	sameMetrics(t, ma, metricsWithoutTime(t, c))
	ga, _ := os.ReadFile(filepath.Join(a, "genotype.txt"))
	gc, _ := os.ReadFile(filepath.Join(c, "genotype.txt"))
	if !bytes.Equal(ga, gc) || len(ga) == 0 {
		t.Errorf("genotypes differ: %q vs %q", ga, gc)
	}
}

// TestKillResume kills a real search process with SIGKILL mid-run and
// checks that the resumed run ends bit-identical to an uninterrupted one.
func TestKillResume(t *testing.T) {
	if dir := os.Getenv("RDARTS_SEARCH_CHILD"); dir != "" {
		cfg := tinyConfig()
		cfg.Epochs = 4
		runSearch(t, cfg, dir, false, 0)
		return
	}
	if testing.Short() {
		t.Skip("subprocess test")
	}
	cfg := tinyConfig()
	cfg.Epochs = 4
	base := t.TempDir()
	ref, killed := filepath.Join(base, "ref"), filepath.Join(base, "killed")
	if err := runSearch(t, cfg, ref, false, 0); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillResume$")
	cmd.Env = append(os.Environ(), "RDARTS_SEARCH_CHILD="+killed)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once the first epoch's checkpoint exists, i.e. inside epoch 1.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(killed, runfolder.CheckpointFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child wrote no checkpoint within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
	cmd.Process.Kill() // SIGKILL
	cmd.Wait()
	if err := runSearch(t, cfg, killed, true, 0); err != nil {
		t.Fatal(err)
	}
	sameMetrics(t, metricsWithoutTime(t, ref), metricsWithoutTime(t, killed))
}

// TestMethods runs each method at a tiny size and checks its outputs.
func TestMethods(t *testing.T) {
	base := t.TempDir()
	t.Run("rs-ws", func(t *testing.T) {
		cfg := tinyConfig()
		cfg.Method, cfg.Epochs, cfg.HessianEvery, cfg.RSArchs, cfg.RSBatches = "rs-ws", 2, 0, 12, 2
		dir := filepath.Join(base, "rs")
		if err := runSearch(t, cfg, dir, false, 0); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "genotype.txt"))
		if err != nil {
			t.Fatal(err)
		}
		g, err := space.Parse(string(b))
		if err != nil {
			t.Fatalf("genotype.txt: %v", err)
		}
		sp, _ := space.Get("s2")
		if err := g.ValidateIn(sp); err != nil {
			t.Errorf("selected genotype not in S2: %v", err)
		}
		if res, err := ReadResult(dir); err != nil || res.Method != "rs-ws" || res.Event == nil || res.Event.Kind != EventRSSelect {
			t.Errorf("result.json %+v: %v", res, err)
		}
	})
	t.Run("darts-es", func(t *testing.T) {
		cfg := tinyConfig()
		// A rule that fires at the first check: any growth stops.
		cfg.Method, cfg.Epochs, cfg.ES = "darts-es", 6, ESConfig{Window: 1, Delta: 1, Factor: 1e-9, StartEpoch: 1}
		dir := filepath.Join(base, "es")
		if err := runSearch(t, cfg, dir, false, 0); err != nil {
			t.Fatal(err)
		}
		ms := metricsWithoutTime(t, dir)
		var evs []EpochEV
		for _, m := range ms {
			evs = append(evs, EpochEV{Epoch: m.Epoch, EV: *m.EV})
		}
		decided, stop, ok := StopEpoch(evs, cfg.Epochs-1, &EarlyStop{Window: 1, Delta: 1, Factor: 1e-9, StartEpoch: 1, Every: 1})
		if !ok || len(ms) == cfg.Epochs {
			t.Fatalf("DARTS-ES did not stop: %d epochs, offline rule %v", len(ms), ok)
		}
		last := ms[len(ms)-1]
		if last.Event == nil || *last.Event != (Event{Kind: EventESStop, Epoch: stop}) || decided != last.Epoch {
			t.Errorf("run stopped with %+v at epoch %d, the offline rule says stop %d decided at %d", last.Event, last.Epoch, stop, decided)
		}
		if res, err := ReadResult(dir); err != nil || res.Epoch != stop || res.Event == nil || res.Event.Kind != EventESStop {
			t.Errorf("result.json %+v, %v", res, err)
		}
		g, _ := os.ReadFile(filepath.Join(dir, "genotype.txt"))
		if strings.TrimSpace(string(g)) != ms[stop].Genotype {
			t.Errorf("genotype.txt is not the stop epoch's genotype")
		}
	})
	t.Run("darts-ada", func(t *testing.T) {
		cfg := tinyConfig()
		cfg.Method, cfg.Epochs, cfg.ES = "darts-ada", 6, ESConfig{Window: 1, Delta: 1, Factor: 1e-9, StartEpoch: 1}
		cfg.ADA = ADAConfig{Factor: 10, Max: 3e-2}
		dir := filepath.Join(base, "ada")
		if err := runSearch(t, cfg, dir, false, 0); err != nil {
			t.Fatal(err)
		}
		all, err := ReadMetrics(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		var rollbacks []Event
		for i, m := range all {
			if m.Event == nil || m.Event.Kind != EventADARollback {
				continue
			}
			stop := m.Event.Epoch
			rollbacks = append(rollbacks, *m.Event)
			// The run goes on from the stop epoch's checkpoint, one
			// iteration on, with ten times the weight decay.
			if i+1 >= len(all) {
				t.Fatalf("nothing after rollback %+v", m.Event)
			}
			next := all[i+1]
			if next.Epoch != stop+1 || next.Iteration != m.Iteration+1 || math.Abs(next.WeightDecay-10*m.WeightDecay) > 1e-12 {
				t.Errorf("after %+v (iteration %d, wd %g): epoch %d, iteration %d, wd %g", m.Event, m.Iteration, m.WeightDecay, next.Epoch, next.Iteration, next.WeightDecay)
			}
			for _, first := range all[:i] {
				if first.Epoch == next.Epoch && first.LR != next.LR {
					t.Errorf("epoch %d after the rollback uses lr %g, before it %g", next.Epoch, next.LR, first.LR)
				}
			}
		}
		if len(rollbacks) != 2 {
			t.Fatalf("want 2 rollbacks (3e-4 → 3e-3 → 3e-2), have %v", rollbacks)
		}
		latest, _ := ReadMetrics(dir, true)
		if len(latest) != cfg.Epochs || math.Abs(latest[len(latest)-1].WeightDecay-3e-2) > 1e-12 || latest[len(latest)-1].Iteration != 2 {
			t.Errorf("final epochs %+v", latest[len(latest)-1])
		}
	})
}

// TestDivergence makes the loss explode and checks the error names the
// epoch and step, and that the last good checkpoint stays.
func TestDivergence(t *testing.T) {
	cfg := tinyConfig()
	cfg.HessianEvery, cfg.LR, cfg.LRMin, cfg.GradClip = 0, 1e30, 1e30, 1e30
	dir := filepath.Join(t.TempDir(), "nan")
	err := runSearch(t, cfg, dir, false, 0)
	if err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "epoch 0, step") {
		t.Fatalf("want a divergence error naming epoch and step, have %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Error(err)
	}
}
