package search

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rdarts/rdarts/internal/runfolder"
)

// TestSimulateES: DARTS-ES simulated on a DARTS run writes what a real
// DARTS-ES run writes (timings aside), whether the rule fires or not.
func TestSimulateES(t *testing.T) {
	if testing.Short() {
		t.Skip("runs searches")
	}
	for _, tc := range []struct {
		name   string
		factor float64
	}{{"fires", 1e-9}, {"never-fires", 1e9}} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			cfg := tinyConfig()
			cfg.Epochs, cfg.ES = 4, ESConfig{Window: 1, Delta: 1, Factor: tc.factor, StartEpoch: 1}
			darts, real, sim := filepath.Join(base, "darts"), filepath.Join(base, "es"), filepath.Join(base, "sim")
			if err := runSearch(t, cfg, darts, false, 0); err != nil {
				t.Fatal(err)
			}
			es := cfg
			es.Method = "darts-es"
			if err := runSearch(t, es, real, false, 0); err != nil {
				t.Fatal(err)
			}
			if err := SimulateES(darts, sim, es, false); err != nil {
				t.Fatal(err)
			}
			want, have := metricsWithoutTime(t, real), metricsWithoutTime(t, sim)
			if stopped := want[len(want)-1].Epoch < cfg.Epochs-1; stopped != (tc.factor < 1) {
				t.Fatalf("the real DARTS-ES run stopped: %v (%d records)", stopped, len(want))
			}
			sameMetrics(t, want, have)
			for _, name := range []string{runfolder.EigenFile, runfolder.GenotypeFile, runfolder.ConfigFile} {
				a, _ := os.ReadFile(filepath.Join(real, name))
				b, err := os.ReadFile(filepath.Join(sim, name))
				if err != nil || string(a) != string(b) {
					t.Errorf("%s differs (%v):\n%s\n%s", name, err, a, b)
				}
			}
			ra, _ := ReadResult(real)
			rb, err := ReadResult(sim)
			if err != nil || !reflect.DeepEqual(ra, rb) {
				t.Errorf("result.json: real %+v, simulated %+v (%v)", ra, rb, err)
			}
		})
	}
}

// TestSimulateESRefuses a run of other settings or without eigenvalues.
func TestSimulateESRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a search")
	}
	base := t.TempDir()
	cfg := tinyConfig()
	cfg.Epochs, cfg.HessianEvery = 1, 0
	darts := filepath.Join(base, "darts")
	if err := runSearch(t, cfg, darts, false, 0); err != nil {
		t.Fatal(err)
	}
	es := cfg
	es.Method = "darts-es"
	if err := SimulateES(darts, filepath.Join(base, "a"), es, false); err == nil {
		t.Error("a DARTS run without eigenvalues was accepted")
	}
	es.HessianEvery, es.Seed = 0, 9
	if err := SimulateES(darts, filepath.Join(base, "b"), es, false); err == nil {
		t.Error("a DARTS run of another seed was accepted")
	}
}
