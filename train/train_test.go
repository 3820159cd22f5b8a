package train

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
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/tensor"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const fixture = "../data/testdata/fashion-mnist"

// tinyConfig trains a small DARTS_V2 network (3 cells, 4 channels, with the
// auxiliary head) on the 200-image Fashion-MNIST fixture in about a second.
func tinyConfig() Config {
	c := Defaults()
	c.Genotype = space.DARTSV2.String()
	c.Dataset, c.Data = "fashion-mnist", fixture
	c.Epochs, c.Layers, c.Channels, c.BatchSize = 3, 3, 4, 16
	return c
}

func newRunner(t *testing.T, cfg Config, dir string) *Runner {
	t.Helper()
	r, err := NewRunner(cfg, dir, fast.Backend{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func runTrain(t *testing.T, cfg Config, dir string, resume bool, stopAfter int) (*Runner, error) {
	t.Helper()
	r := newRunner(t, cfg, dir)
	r.StopAfter = stopAfter
	if err := r.Start(resume); err != nil {
		t.Fatal(err)
	}
	return r, r.Run(context.Background())
}

// metricsWithoutTime reads metrics.jsonl with the timings zeroed.
func metricsWithoutTime(t *testing.T, dir string) []Metrics {
	t.Helper()
	ms, err := ReadMetrics(dir)
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

// TestAuxiliaryLossWeighting checks loss = CE + 0.4·CE_aux against the two
// terms computed apart, in value and in every weight's gradient.
func TestAuxiliaryLossWeighting(t *testing.T) {
	cfg := tinyConfig()
	net, err := Model(cfg, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(8, 1, 28, 28)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := make([]int32, 8)
	for i := range y {
		y[i] = int32(r.IntN(10))
	}
	tp := autograd.NewTape(fast.Backend{})
	c := &nn.Ctx{T: tp, Train: true, Rng: rand.New(rand.NewPCG(1, 1))}
	// grads runs one pass (train-mode BN: the running statistics it moves
	// do not change the outputs) and returns the loss and all gradients.
	grads := func(pick func(logits, aux *autograd.Var) *autograd.Var) (float64, [][]float32) {
		net.W.ZeroGrad()
		tp.Reset()
		var loss *autograd.Var
		if pick == nil {
			loss, _ = objective(c, net, tp.Const(x), y, cfg.AuxWeight)
		} else {
			logits, aux := net.Forward(c, tp.Const(x))
			if aux == nil {
				t.Fatal("no auxiliary logits in training mode")
			}
			loss = pick(logits, aux)
		}
		tp.Backward(loss)
		out := make([][]float32, len(net.W.Vars))
		for i, v := range net.W.Vars {
			out[i] = append([]float32(nil), v.Grad.Data...)
		}
		tp.Reset()
		return float64(loss.Value.Data[0]), out
	}
	ce, gce := grads(func(l, _ *autograd.Var) *autograd.Var { return tp.CrossEntropy(l, y) })
	ca, gca := grads(func(_, a *autograd.Var) *autograd.Var { return tp.CrossEntropy(a, y) })
	total, gt := grads(nil)
	t.Logf("CE %.6f, CE_aux %.6f, objective %.6f", ce, ca, total)
	if want := ce + 0.4*ca; math.Abs(total-want) > 1e-5*want {
		t.Errorf("objective %.7f, want CE + 0.4·CE_aux = %.7f", total, want)
	}
	auxGrads := 0
	for i := range gt {
		for j := range gt[i] {
			want := float64(gce[i][j]) + 0.4*float64(gca[i][j])
			if math.Abs(float64(gt[i][j])-want) > 1e-6+1e-4*math.Abs(want) {
				t.Fatalf("%s[%d]: gradient %g, want %g + 0.4·%g", net.W.Names[i], j, gt[i][j], gce[i][j], gca[i][j])
			}
		}
		if strings.HasPrefix(net.W.Names[i], "auxiliary_head.") {
			auxGrads++
			for j := range gce[i] {
				if gce[i][j] != 0 {
					t.Fatalf("%s gets a gradient from the main loss", net.W.Names[i])
				}
			}
		}
	}
	if auxGrads == 0 {
		t.Fatal("no auxiliary head parameters")
	}
	// Without the head the objective is the plain cross-entropy.
	cfg.Auxiliary = false
	plain, err := Model(cfg, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	tp.Reset()
	loss, logits := objective(c, plain, tp.Const(x), y, 0.4)
	if loss != nil && loss.Value.Data[0] != tp.CrossEntropy(logits, y).Value.Data[0] {
		t.Errorf("without the auxiliary head the loss is not the cross-entropy")
	}
}

func TestSchedules(t *testing.T) {
	cfg := tinyConfig()
	cfg.Epochs = 600
	r := newRunner(t, cfg, t.TempDir())
	for _, c := range []struct {
		epoch  int
		dp, lr float64
	}{
		// lr(e) = 0.025·(1 + cos(π·e/600))/2: epoch e trains with lr(e), as
		// the reference under PyTorch 0.3.1 (its logs: "epoch 0 lr 2.5e-02").
		{0, 0, 0.025},
		{1, 0.2 / 600, 0.0125 * (1 + math.Cos(math.Pi/600))},
		{300, 0.1, 0.0125},
		{599, 0.2 * 599 / 600, 0.0125 * (1 - math.Cos(math.Pi/600))},
	} {
		if got := r.DropPath(c.epoch); math.Abs(got-c.dp) > 1e-15 {
			t.Errorf("drop path at epoch %d: %g, want %g", c.epoch, got, c.dp)
		}
		if got := r.LR(c.epoch); math.Abs(got-c.lr) > 1e-15 {
			t.Errorf("lr at epoch %d: %g, want %g", c.epoch, got, c.lr)
		}
	}
}

// TestParamCount is the train-level model size: the reference's DARTS_V2 on
// CIFAR-10 at the protocol's default size (20 cells, 36 channels) has
// 3 349 342 parameters without the auxiliary head.
func TestParamCount(t *testing.T) {
	cfg := Defaults()
	cfg.Genotype = space.DARTSV2.String()
	net, err := Model(cfg, 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if main, aux := net.ParamCount(); main != 3349342 || aux != 476426 {
		t.Errorf("DARTS_V2 at the CIFAR-10 defaults: %d + %d auxiliary parameters, want 3349342 + 476426", main, aux)
	}
	if l, c := DefaultSize("svhn"); l != 8 || c != 16 {
		t.Errorf("svhn default size %d/%d, want 8/16", l, c)
	}
}

func readResult(t *testing.T, dir string) Result {
	t.Helper()
	res, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestTrainTiny is a real training run on the fixture: the training loss
// falls, every epoch is tested, and result.json reports the last epoch.
func TestTrainTiny(t *testing.T) {
	cfg := tinyConfig()
	cfg.Epochs, cfg.LR = 5, 0.1
	dir := t.TempDir()
	r, err := runTrain(t, cfg, dir, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := metricsWithoutTime(t, dir)
	for _, e := range m {
		t.Logf("%+v", e)
	}
	if len(m) != cfg.Epochs {
		t.Fatalf("%d metrics lines, want %d", len(m), cfg.Epochs)
	}
	first, last := m[0], m[len(m)-1]
	if !(last.TrainLoss < 0.8*first.TrainLoss) {
		t.Errorf("training loss went from %.4f to %.4f", first.TrainLoss, last.TrainLoss)
	}
	for e, x := range m {
		if x.Epoch != e || x.LR != r.LR(e) || x.DropPath != r.DropPath(e) || x.TestAcc <= 0 || x.TestLoss <= 0 {
			t.Errorf("epoch %d: %+v", e, x)
		}
	}
	res := readResult(t, dir)
	main, aux := r.Network().ParamCount()
	if res.TestError != 100-last.TestAcc || res.Params != main || res.ParamsAux != aux || res.Epochs != cfg.Epochs || res.Genotype != cfg.Genotype {
		t.Errorf("result %+v, want test error %g and %d + %d parameters", res, 100-last.TestAcc, main, aux)
	}
	saved, err := LoadConfig(dir)
	if err != nil || saved != cfg {
		t.Errorf("config.json %+v (%v), want %+v", saved, err, cfg)
	}
	// A finished folder is not overwritten.
	if err := newRunner(t, cfg, dir).Start(false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restarting in a finished folder: %v", err)
	}
}

func sameState(t *testing.T, a, b string) {
	t.Helper()
	sa, err := LoadState(filepath.Join(a, runfolder.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := LoadState(filepath.Join(b, runfolder.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sa.Net, sb.Net) || !reflect.DeepEqual(sa.SGD, sb.SGD) {
		t.Errorf("final weights, batch-norm statistics or momentum differ between %s and %s", a, b)
	}
}

// TestDeterministicAndInterruptResume stops a run mid-epoch and at an epoch
// boundary, resumes it, and checks that it ends bit-identical to an
// uninterrupted run (drop path and cutout on, so masks and augmentation
// must be replayed too).
func TestDeterministicAndInterruptResume(t *testing.T) {
	cfg := tinyConfig()
	base := t.TempDir()
	a, b, c := filepath.Join(base, "a"), filepath.Join(base, "b"), filepath.Join(base, "c")
	for _, d := range []string{a, b} {
		if _, err := runTrain(t, cfg, d, false, 0); err != nil {
			t.Fatal(err)
		}
	}
	ma := metricsWithoutTime(t, a)
	sameMetrics(t, ma, metricsWithoutTime(t, b))
	sameState(t, a, b)
	// 13 steps per epoch: stop inside epoch 0, then at the start of epoch 2.
	if _, err := runTrain(t, cfg, c, false, 4); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, have %v", err)
	}
	if _, err := runTrain(t, cfg, c, true, 22); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, have %v", err)
	}
	if s, _ := LoadState(filepath.Join(c, runfolder.CheckpointFile)); s.Pos.Epoch != 2 || s.Pos.Step != 0 || len(s.History) != 2 {
		t.Fatalf("second stop at epoch %d step %d with %d epochs logged, want 2, 0, 2", s.Pos.Epoch, s.Pos.Step, len(s.History))
	}
	if _, err := runTrain(t, cfg, c, true, 0); err != nil {
		t.Fatal(err)
	}
	sameMetrics(t, ma, metricsWithoutTime(t, c))
	sameState(t, a, c)
	ra, rc := readResult(t, a), readResult(t, c)
	ra.Seconds, rc.Seconds = 0, 0
	if ra != rc {
		t.Errorf("results differ: %+v vs %+v", ra, rc)
	}
}

func TestDivergence(t *testing.T) {
	cfg := tinyConfig()
	cfg.LR, cfg.Epochs = 1e38, 2
	_, err := runTrain(t, cfg, t.TempDir(), false, 0)
	if !errors.Is(err, ErrDiverged) || !strings.HasPrefix(err.Error(), "diverged:") {
		t.Fatalf("want a divergence error, have %v", err)
	}
	t.Log(err)
	// A study records a diverged training and goes on.
	e := toyStudy(t.TempDir())
	e.Cfg.Train.LR = 1e38
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, _, err := readResults(e.Dir)
	if err != nil || len(res) != 4 {
		t.Fatalf("%d results, %v", len(res), err)
	}
	diverged := 0
	for _, r := range res {
		if r.Error != "" {
			diverged++
			if r.TestError != 100 || !strings.HasPrefix(r.Error, "diverged:") {
				t.Errorf("diverged line %+v", r)
			}
		}
	}
	if diverged == 0 {
		t.Error("no training diverged at lr 1e38")
	}
}

func TestResolveGenotype(t *testing.T) {
	dir := t.TempDir()
	s := space.DARTSV2.String()
	if err := os.WriteFile(filepath.Join(dir, "genotype.txt"), []byte(s+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{s, dir, filepath.Join(dir, "genotype.txt")} {
		g, _, err := ResolveGenotype(arg)
		if err != nil || !g.Equal(space.DARTSV2) {
			t.Errorf("ResolveGenotype(%q): %v, %v", arg, g, err)
		}
	}
	for _, arg := range []string{filepath.Join(dir, "missing"), "Genotype(normal=[", t.TempDir()} {
		if _, _, err := ResolveGenotype(arg); err == nil {
			t.Errorf("ResolveGenotype(%q): no error", arg)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"genotype", func(c *Config) { c.Genotype = "nonsense" }},
		{"dataset", func(c *Config) { c.Dataset = "imagenet" }},
		{"epochs", func(c *Config) { c.Epochs = 0 }},
		{"batch-size", func(c *Config) { c.BatchSize = 1 }},
		{"train-size", func(c *Config) { c.TrainSize = 5 }},
		{"lr", func(c *Config) { c.LR = 0 }},
		{"drop-path", func(c *Config) { c.DropPath = 1 }},
	} {
		cfg := tinyConfig()
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.field+":") {
			t.Errorf("%s: %v", c.field, err)
		}
	}
	cfg := tinyConfig()
	cfg.TrainSize, cfg.BatchSize = 161, 16
	if _, err := NewRunner(cfg, t.TempDir(), fast.Backend{}, quiet); err == nil {
		t.Error("a last batch of one image is accepted")
	}
}
