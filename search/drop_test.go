package search

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/space"
)

// dropRun makes a 2-epoch first-order search on the fixture and keeps the
// end of epoch 0 as checkpoint_0.gob.
func dropRun(t *testing.T) (Config, string) {
	t.Helper()
	cfg := tinyConfig()
	cfg.Epochs, cfg.Order, cfg.HessianEvery = 2, 1, 0
	dir := t.TempDir()
	steps := (100 + cfg.BatchSize - 1) / cfg.BatchSize // the 100-image w half
	if err := runSearch(t, cfg, dir, false, steps); err == nil {
		t.Fatal("the run did not stop at the end of epoch 0")
	}
	b, err := os.ReadFile(filepath.Join(dir, runfolder.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "checkpoint_0.gob"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runSearch(t, cfg, dir, true, 0); err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

// TestDiscreteSkipsDroppedOps checks what the discretised evaluation
// computes: with one-hot α, the weights of every op the genotype does not
// choose (dropped edges included) leave the output unchanged, while those of
// a chosen op change it.
func TestDiscreteSkipsDroppedOps(t *testing.T) {
	cfg, dir := dropRun(t)
	r, err := NewRunner(cfg, dir, fast.Backend{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadState(filepath.Join(dir, runfolder.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.b.restore(s); err != nil {
		t.Fatal(err)
	}
	g := r.b.Net.Genotype()
	normal, reduce, err := space.OneHot(r.sp, g)
	if err != nil {
		t.Fatal(err)
	}
	setRows(r.b.Net.AlphaNormal.Value.Data, normal)
	setRows(r.b.Net.AlphaReduce.Value.Data, reduce)
	var vb data.Batch
	r.infer.Epoch(0).Fill(0, &vb)
	loss := func() float64 { return r.b.Evaluate(toBatch(&vb), true, 0, 0).Loss }
	before := loss()
	chosen := map[string]bool{}
	for cell := 0; cell < cfg.Layers; cell++ {
		rows := normal
		if cell == cfg.Layers/3 || cell == 2*cfg.Layers/3 {
			rows = reduce
		}
		for e, row := range rows {
			for k, v := range row {
				if v == 1 {
					chosen[fmt.Sprintf("cells.%d.edges.%d.%d.", cell, e, k)] = true
				}
			}
		}
	}
	isChosen := func(name string) bool {
		for p := range chosen {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
	var unused, used int
	for i, v := range r.b.Net.W.Vars {
		name := r.b.Net.W.Names[i]
		if strings.Contains(name, ".edges.") && !isChosen(name) {
			for j := range v.Value.Data {
				v.Value.Data[j] = 1e3
			}
			unused++
		}
	}
	if after := loss(); after != before || unused == 0 {
		t.Fatalf("loss %g → %g after changing the %d weight tensors of unchosen ops", before, after, unused)
	}
	for i, v := range r.b.Net.W.Vars {
		if isChosen(r.b.Net.W.Names[i]) {
			for j := range v.Value.Data {
				v.Value.Data[j] *= 3
			}
			used++
		}
	}
	if after := loss(); after == before || used == 0 {
		t.Errorf("loss %g unchanged after changing the %d weight tensors of chosen ops", before, used)
	}
}
