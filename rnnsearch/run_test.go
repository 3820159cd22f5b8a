package rnnsearch

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
)

// writeCorpus writes a small PTB-format corpus of grammar sentences.
func writeCorpus(t *testing.T) string {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(4, 4))
	subj := []string{"the cat", "a dog", "the big bird", "birds"}
	verb := []string{"sees", "likes", "eats"}
	obj := []string{"food", "the water", "small fish"}
	for name, lines := range map[string]int{"ptb.train.txt": 200, "ptb.valid.txt": 50, "ptb.test.txt": 50} {
		var b strings.Builder
		for i := 0; i < lines; i++ {
			b.WriteString(" " + subj[r.IntN(4)] + " " + verb[r.IntN(3)] + " " + obj[r.IntN(3)] + " \n")
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func tinyConfig(data string) Config {
	c := DefaultConfig()
	c.Data, c.Epochs, c.Hidden, c.BatchSize, c.EvalBatch, c.BPTT = data, 2, 8, 8, 4, 6
	c.Dropout, c.DropoutH, c.DropoutX, c.DropoutI = 0.1, 0.1, 0.1, 0.1
	return c
}

func run(t *testing.T, cfg Config, dir string, resume bool, stopAfter int) error {
	t.Helper()
	r, err := NewRunner(cfg, dir, fast.Backend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.StopAfter = stopAfter
	if err := r.Start(resume); err != nil {
		return err
	}
	return r.Run(context.Background())
}

func TestRunAndResume(t *testing.T) {
	data := writeCorpus(t)
	cfg := tinyConfig(data)
	cfg.HessianEvery = 1
	whole := t.TempDir()
	if err := run(t, cfg, whole, false, 0); err != nil {
		t.Fatal(err)
	}
	res, err := ReadResult(whole)
	if err != nil {
		t.Fatal(err)
	}
	g, err := space.ParseRNN(res.Genotype)
	if err != nil || g.ValidateSearch() != nil {
		t.Errorf("result genotype %q: %v", res.Genotype, err)
	}
	ms, err := ReadMetrics(whole)
	if err != nil || len(ms) != 2 || ms[0].EV == nil || len(ms[1].Alpha) != 36 {
		t.Fatalf("metrics %+v, %v", ms, err)
	}
	t.Logf("epoch 1: train ppl %.2f, valid ppl %.2f, ev %.4g", ms[1].TrainPPL, ms[1].ValidPPL, *ms[1].EV)

	// Interrupted in the middle of the first epoch, then twice more, and
	// resumed each time: the same files.
	part := t.TempDir()
	for _, stop := range []int{5, 7, 30} {
		err := run(t, cfg, part, stop != 5, stop)
		if !errors.Is(err, runfolder.ErrInterrupted) {
			t.Fatalf("stop after %d: %v", stop, err)
		}
	}
	if err := run(t, cfg, part, true, 0); err != nil {
		t.Fatal(err)
	}
	// Interrupted exactly at the end of the first epoch: the checkpoint
	// holds the second epoch begun, none of its steps run.
	edge := t.TempDir()
	r, _ := NewRunner(cfg, t.TempDir(), fast.Backend{}, nil)
	if err := run(t, cfg, edge, false, r.s.BeginEpoch()); !errors.Is(err, runfolder.ErrInterrupted) {
		t.Fatalf("stop at the epoch's end: %v", err)
	}
	if err := run(t, cfg, edge, true, 0); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{runfolder.GenotypeFile, runfolder.ResultFile} {
		a, _ := os.ReadFile(filepath.Join(whole, f))
		for _, dir := range []string{part, edge} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			if !slices.Equal(a, b) {
				t.Errorf("%s differs after resuming:\n%s\n%s", f, a, b)
			}
		}
	}
	mp, _ := ReadMetrics(part)
	for i := range ms {
		ms[i].Seconds, mp[i].Seconds = 0, 0
		if a, b := ms[i], mp[i]; a.TrainLoss != b.TrainLoss || a.ValidLoss != b.ValidLoss || *a.EV != *b.EV || !slices.Equal(a.Alpha[35], b.Alpha[35]) {
			t.Errorf("epoch %d differs after resuming: %+v vs %+v", i, a, b)
		}
	}

	// A changed setting is refused on resume; an existing run without --force too.
	other := cfg
	other.LR = 10
	if err := run(t, other, part, true, 0); err == nil || !strings.Contains(err.Error(), "lr") {
		t.Errorf("changed lr: %v", err)
	}
	if err := run(t, cfg, part, false, 0); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("second run on a folder: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Data = "" }, "data"},
		{func(c *Config) { c.Order = 3 }, "order"},
		{func(c *Config) { c.DropoutX = 1 }, "dropoutx"},
		{func(c *Config) { c.BPTT = 1 }, "bptt"},
	} {
		cfg := DefaultConfig()
		cfg.Data = "x"
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", cfg, err, c.want)
		}
	}
	cfg := DefaultConfig()
	cfg.Data = filepath.Join(t.TempDir(), "none")
	if _, err := NewRunner(cfg, t.TempDir(), fast.Backend{}, nil); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing corpus: %v", err)
	}
}

// TestDARTSES: with a rule that fires at its first check, DARTS-ES stops
// after epoch 1 and answers with epoch 0's genotype; simulated, the run goes
// on to the end and records where it would have stopped.
func TestDARTSES(t *testing.T) {
	data := writeCorpus(t)
	cfg := tinyConfig(data)
	cfg.Epochs, cfg.HessianEvery, cfg.Method = 4, 1, "darts-es"
	cfg.ES = search.ESConfig{Window: 1, Delta: 1, Factor: 1e-9, StartEpoch: 0}
	dir := t.TempDir()
	if err := run(t, cfg, dir, false, 0); err != nil {
		t.Fatal(err)
	}
	ms, _ := ReadMetrics(dir)
	res, err := ReadResult(dir)
	if err != nil || len(ms) != 2 || ms[1].Event == nil || ms[1].Event.Kind != search.EventESStop || res.Epoch != 0 || res.Genotype != ms[0].Genotype {
		t.Fatalf("darts-es: %d epochs, last event %+v, result %+v, %v", len(ms), ms[len(ms)-1].Event, res, err)
	}
	cfg.ESSimulate = true
	dir = t.TempDir()
	if err := run(t, cfg, dir, false, 0); err != nil {
		t.Fatal(err)
	}
	ms, _ = ReadMetrics(dir)
	res, _ = ReadResult(dir)
	if len(ms) != 4 || ms[1].Event == nil || ms[1].Event.Kind != search.EventESWouldStop || res.Epoch != 3 {
		t.Fatalf("simulated: %d epochs, event %+v, result %+v", len(ms), ms[1].Event, res)
	}
	bad := cfg
	bad.HessianEvery = 0
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "hessian-every") {
		t.Errorf("darts-es without eigenvalues: %v", err)
	}
}

// TestDARTSESResume: DARTS-ES' state (the eigenvalues seen) is part of the
// checkpoint: a search interrupted after two eigenvalues and resumed stops
// at the same epoch with the same answer as an uninterrupted one.
func TestDARTSESResume(t *testing.T) {
	data := writeCorpus(t)
	cfg := tinyConfig(data)
	cfg.Epochs, cfg.HessianEvery, cfg.Method = 5, 1, "darts-es"
	cfg.ES = search.ESConfig{Window: 1, Delta: 1, Factor: 1e-9, StartEpoch: 2}
	whole := t.TempDir()
	if err := run(t, cfg, whole, false, 0); err != nil {
		t.Fatal(err)
	}
	want, err := ReadResult(whole)
	if err != nil || want.Epoch >= 4 {
		t.Fatalf("uninterrupted: %+v, %v (want a stop before the last epoch)", want, err)
	}
	if ms, _ := ReadMetrics(whole); len(ms) < 3 {
		t.Fatalf("stopped after %d epochs, before the interruption point", len(ms))
	}
	r, _ := NewRunner(cfg, t.TempDir(), fast.Backend{}, nil)
	steps := r.s.BeginEpoch()
	part := t.TempDir()
	if err := run(t, cfg, part, false, 2*steps+steps/2); !errors.Is(err, runfolder.ErrInterrupted) {
		t.Fatalf("interrupt: %v", err)
	}
	if err := run(t, cfg, part, true, 0); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResult(part)
	if err != nil || got != want {
		t.Errorf("resumed: %+v, %v; want %+v", got, err, want)
	}
	a, _ := ReadMetrics(whole)
	b, _ := ReadMetrics(part)
	if len(a) != len(b) || a[len(a)-1].Event == nil || b[len(b)-1].Event == nil || *a[len(a)-1].Event != *b[len(b)-1].Event {
		t.Errorf("events differ: %d and %d epochs", len(a), len(b))
	}
}
