package search

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
)

// TestHessianFastVsExact runs a tiny search and checks, on its checkpoint,
// that Lanczos agrees with the full Hessian's top eigenvalue to 1 %, that
// it needs far fewer gradients, and that rdarts hessian reproduces the ev
// the search logged.
func TestHessianFastVsExact(t *testing.T) {
	cfg := tinyConfig()
	cfg.Space, cfg.Epochs, cfg.KeepCheckpoints = "s1", 2, true
	dir := filepath.Join(t.TempDir(), "run")
	if err := runSearch(t, cfg, dir, false, 0); err != nil {
		t.Fatal(err)
	}
	ms, err := ReadMetrics(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	eig, err := os.ReadFile(filepath.Join(dir, "eigen.jsonl"))
	if err != nil || strings.Count(string(eig), "\n") != cfg.Epochs || !strings.Contains(string(eig), `"ev":`) {
		t.Errorf("eigen.jsonl: %q, %v", eig, err)
	}
	for _, epoch := range []int{0, 1} {
		r, err := Open(dir, OpenOptions{Epoch: epoch}, fast.Backend{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fastEV, err := r.Hessian(false, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ms[epoch].EV == nil || *ms[epoch].EV != fastEV.Value {
			t.Errorf("epoch %d: rdarts hessian gives %v, the search logged %v", epoch, fastEV.Value, ms[epoch].EV)
		}
		exact, err := r.Hessian(true, 5)
		if err != nil {
			t.Fatal(err)
		}
		rel := math.Abs(fastEV.Value-exact.Value) / math.Abs(exact.Value)
		t.Logf("epoch %d: Lanczos %.6g (%d gradients), exact %.6g (%d gradients), spectrum %.4g", epoch, fastEV.Value, fastEV.GradEvals, exact.Value, exact.GradEvals, exact.Spectrum)
		if rel > 0.01 {
			t.Errorf("epoch %d: Lanczos %.6g vs exact %.6g: %.2g%% apart", epoch, fastEV.Value, exact.Value, 100*rel)
		}
		if fastEV.GradEvals*2 > exact.GradEvals {
			t.Errorf("Lanczos used %d gradients, the exact Hessian %d", fastEV.GradEvals, exact.GradEvals)
		}
	}
}
