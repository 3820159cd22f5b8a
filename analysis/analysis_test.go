package analysis

import (
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/search"
)

var quiet = slog.New(slog.DiscardHandler)

// dropRun makes a 2-epoch first-order search on the fixture and keeps the
// end of epoch 0 as checkpoint_0.gob.
func dropRun(t *testing.T) string {
	t.Helper()
	cfg := search.Defaults()
	cfg.Dataset, cfg.Data = "fashion-mnist", "../data/testdata/fashion-mnist"
	cfg.Space, cfg.Epochs, cfg.Layers, cfg.Channels, cfg.BatchSize, cfg.Order = "s2", 2, 3, 4, 16, 1
	dir := t.TempDir()
	run := func(resume bool, stopAfter int) error {
		r, err := search.NewRunner(cfg, dir, fast.Backend{}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		r.StopAfter = stopAfter
		if err := r.Start(resume); err != nil {
			t.Fatal(err)
		}
		return r.Run(context.Background())
	}
	if err := run(false, 7); err == nil { // the 100-image w half: 7 steps
		t.Fatal("the run did not stop at the end of epoch 0")
	}
	b, err := os.ReadFile(filepath.Join(dir, runfolder.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "checkpoint_0.gob"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(true, 0); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMeasureDrop(t *testing.T) {
	dir := dropRun(t)
	m, err := search.ReadMetrics(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, epoch := range []int{-1, 0, 1} {
		d, err := MeasureDrop(dir, DropOptions{Epoch: epoch}, fast.Backend{}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("epoch %d: %+v", epoch, d)
		want := epoch
		if epoch < 0 {
			want = 1
		}
		// The continuous evaluation is the search's own validation.
		if d.Epoch != want || d.Images != 100 || d.Transform != "train" || d.Genotype != m[want].Genotype ||
			d.ContinuousAcc != m[want].ValidAcc || d.LoggedValidAcc == nil || *d.LoggedValidAcc != m[want].ValidAcc {
			t.Errorf("epoch %d: %+v, want the logged epoch %+v", epoch, d, m[want])
		}
		if math.Abs(d.ContinuousLoss-m[want].ValidLoss) > 1e-9 {
			t.Errorf("epoch %d: continuous loss %g, logged %g", epoch, d.ContinuousLoss, m[want].ValidLoss)
		}
		if d.Drop != d.ContinuousAcc-d.DiscreteAcc || d.DiscreteLoss == d.ContinuousLoss {
			t.Errorf("epoch %d: drop %+v", epoch, d)
		}
	}
	d, err := MeasureDrop(dir, DropOptions{Epoch: -1, Clean: true}, fast.Backend{}, quiet)
	if err != nil || d.Transform != "test" || d.Images != 100 {
		t.Errorf("clean: %+v, %v", d, err)
	}
	if _, err := MeasureDrop(dir, DropOptions{Epoch: 5}, fast.Backend{}, quiet); err == nil || !strings.Contains(err.Error(), "no checkpoint of epoch 5") {
		t.Errorf("epoch 5: %v", err)
	}
	if _, err := MeasureDrop(t.TempDir(), DropOptions{Epoch: -1}, fast.Backend{}, quiet); err == nil {
		t.Error("an empty folder gave no error")
	}
}

func TestAnalyzeES(t *testing.T) {
	// DARTS records where DARTS-ES would stop; the offline rule must name
	// the same epochs.
	cfg := search.Defaults()
	cfg.Dataset, cfg.Data = "fashion-mnist", "../data/testdata/fashion-mnist"
	cfg.Space, cfg.Epochs, cfg.Layers, cfg.Channels, cfg.BatchSize, cfg.Order = "s2", 4, 3, 4, 16, 1
	cfg.HessianEvery, cfg.ES = 1, search.ESConfig{Window: 1, Delta: 1, Factor: 1e-9, StartEpoch: 1}
	run := filepath.Join(t.TempDir(), "es")
	r, err := search.NewRunner(cfg, run, fast.Backend{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(false); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	es, err := AnalyzeES(run)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := search.ReadMetrics(run, true)
	var first *search.Event
	for _, m := range ms {
		if m.Event != nil && first == nil {
			first = m.Event
			if !es.Stopped || es.DecidedAt != m.Epoch || es.StopEpoch != m.Event.Epoch || es.Genotype != ms[es.StopEpoch].Genotype || es.EVs != cfg.Epochs {
				t.Errorf("offline %+v, the run recorded %+v at epoch %d", es, *m.Event, m.Epoch)
			}
		}
	}
	if first == nil || first.Kind != search.EventESWouldStop {
		t.Errorf("no es-would-stop event recorded: %+v", first)
	}

	dir := dropRun(t) // no eigenvalues
	if _, err := AnalyzeES(dir); err == nil || !strings.Contains(err.Error(), "no eigenvalues") {
		t.Errorf("without eigenvalues: %v", err)
	}
	if _, err := AnalyzeES(t.TempDir()); err == nil {
		t.Error("an empty folder gave no error")
	}
}
