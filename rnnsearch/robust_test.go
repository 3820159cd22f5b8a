package rnnsearch

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/robust"
)

func TestRobustL2(t *testing.T) {
	data := writeCorpus(t)
	cfg := tinyConfig(data)
	cfg.Epochs = 1
	sel := DefaultRetrainConfig()
	sel.Epochs, sel.Hidden, sel.BatchSize, sel.EvalBatch, sel.TestBatch, sel.BPTT = 1, 8, 8, 4, 4, 6
	out := t.TempDir()
	res, err := RobustL2(context.Background(), cfg, []float64{5e-7, 1.5e-6}, robust.RuleRetrain, sel, out, fast.Backend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Members) != 2 || res.Chosen < 0 || res.Chosen > 1 {
		t.Fatalf("%+v", res)
	}
	for _, m := range res.Members {
		if m.Select.ValidPPL <= 0 || m.Search.Genotype == "" {
			t.Errorf("member %+v", m)
		}
		if c := m.Select.ValidPPL; c < res.Members[res.Chosen].Select.ValidPPL {
			t.Errorf("chose %d, but member %v scores lower", res.Chosen, m.WeightDecay)
		}
	}
	if _, err := os.Stat(filepath.Join(out, runfolder.ResultFile)); err != nil {
		t.Error(err)
	}
	// Again: the finished searches are kept, the answer is the same.
	again, err := RobustL2(context.Background(), cfg, []float64{5e-7, 1.5e-6}, robust.RuleRetrain, sel, out, fast.Backend{}, nil)
	if err != nil || again.Chosen != res.Chosen || again.Members[1].Search != res.Members[1].Search {
		t.Errorf("second run: %+v, %v", again, err)
	}
	// The one-shot rule retrains nothing and picks the lowest search perplexity.
	one, err := RobustL2(context.Background(), cfg, []float64{5e-7, 1.5e-6}, robust.RuleOneShot, sel, out, fast.Backend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := one.Members[one.Chosen].Search.ValidPPL; c > one.Members[1-one.Chosen].Search.ValidPPL || one.Rule != robust.RuleOneShot {
		t.Errorf("oneshot chose %d: %+v", one.Chosen, one)
	}
}
