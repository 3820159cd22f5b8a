package robust

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/train"
)

var quiet = slog.New(slog.DiscardHandler)

func tinyConfig() search.Config {
	c := search.Defaults()
	c.Dataset, c.Data = "fashion-mnist", "../data/testdata/fashion-mnist"
	c.Space, c.Epochs, c.Layers, c.Channels, c.BatchSize, c.Order = "s2", 1, 3, 4, 16, 1
	return c
}

func TestSelectConfig(t *testing.T) {
	s := tinyConfig()
	s.Seed = 7
	res := search.Outcome{Genotype: "G", Split: search.Split{WImages: 100, AlphaEnd: 200}}
	c := SelectConfig(s, res, "runs/x", Budget{Epochs: 3, Layers: 2, Channels: 4, BatchSize: 8, TrainSize: 60})
	if c.TrainSize != 60 || c.ValidFrom != 100 || c.ValidSize != 100 || c.Seed != 7 || c.Epochs != 3 || c.Auxiliary || c.Cutout || c.DropPath != 0 ||
		c.GenotypeSource != "runs/x" || c.EvalSet() != "train[100:200]" {
		t.Errorf("%+v", c)
	}
	c = SelectConfig(s, res, "runs/x", Budget{Epochs: 3, Layers: 2, Channels: 4, BatchSize: 8, ValidSize: 30})
	if c.TrainSize != 100 || c.ValidSize != 30 {
		t.Errorf("caps: %+v", c)
	}
}

func TestChoose(t *testing.T) {
	a, b := 70.0, 60.0
	ms := []Member{{ValidAcc: 50, SelectAcc: &a}, {ValidAcc: 80, SelectAcc: &b}, {ValidAcc: 80, SelectAcc: &a}}
	if got := Choose(ms, RuleRetrain); got != 0 {
		t.Errorf("retrain: %d, want 0 (70 %%, the first of the tie)", got)
	}
	if got := Choose(ms, RuleOneShot); got != 1 {
		t.Errorf("oneshot: %d, want 1", got)
	}
	if Choose(nil, RuleRetrain) != -1 {
		t.Error("no members")
	}
}

// TestRun runs R-DARTS(DP) with two members and retraining selection on
// the fixture: every member searched and scored on held-out training
// images, the chosen one the best, a rerun repeats nothing.
func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "robust")
	o := Options{Family: "dp", Values: []float64{0, 0.4}, Rule: RuleRetrain, Dir: dir, Kernels: fast.Backend{}, Log: quiet,
		Budget: Budget{Epochs: 1, Layers: 2, Channels: 4, BatchSize: 16}}
	res, err := Run(context.Background(), tinyConfig(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Members) != 2 || res.Genotype != res.Members[res.Best].Genotype || res.Rule != RuleRetrain {
		t.Fatalf("result %+v", res)
	}
	for _, m := range res.Members {
		if m.SelectAcc == nil || *m.SelectAcc > *res.Members[res.Best].SelectAcc {
			t.Errorf("member %v: select acc %v, chosen %v", m.Value, m.SelectAcc, res.Members[res.Best].SelectAcc)
		}
		c, err := search.LoadConfig(m.Dir)
		if err != nil || c.DropPath != m.Value || !c.Cutout || c.Member == nil || c.Member.Family != "dp" {
			t.Errorf("member %s: config %+v, %v", m.Dir, c, err)
		}
		sel, err := train.ReadResult(m.SelectDir)
		if err != nil || sel.EvalSet != "train[100:200]" || sel.Genotype != m.Genotype {
			t.Errorf("selection run %s: %+v, %v", m.SelectDir, sel, err)
		}
	}
	if g, _ := os.ReadFile(filepath.Join(dir, "genotype.txt")); strings.TrimSpace(string(g)) != res.Genotype {
		t.Errorf("genotype.txt %q", g)
	}
	// A rerun resumes: nothing runs again, same answer.
	again, err := Run(context.Background(), tinyConfig(), o)
	if err != nil || again.Genotype != res.Genotype {
		t.Fatalf("rerun: %+v, %v", again, err)
	}
	// A changed budget is refused for the finished selection runs.
	o.Budget.Epochs = 2
	if _, err := Run(context.Background(), tinyConfig(), o); err == nil || !strings.Contains(err.Error(), "--epochs (saved 1, given 2)") {
		t.Errorf("changed budget: %v", err)
	}
	o.Family = "l3"
	if _, err := Run(context.Background(), tinyConfig(), o); err == nil {
		t.Error("kind l3 accepted")
	}
}
