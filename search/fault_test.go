package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/runfolder"
)

// errKilled stands for a process killed at a write: the run is abandoned
// where the error surfaces, its folder left as the kill would leave it.
var errKilled = errors.New("killed")

// writeEvents records the writes of an uninterrupted run of cfg.
func writeEvents(t *testing.T, cfg Config) []string {
	t.Helper()
	var events []string
	restore := runfolder.SetFaultHook(func(name string, after bool) error {
		events = append(events, fmt.Sprintf("%s/%v", name, after))
		return nil
	})
	defer restore()
	if err := runSearch(t, cfg, filepath.Join(t.TempDir(), "ref"), false, 0); err != nil {
		t.Fatal(err)
	}
	return events
}

// finalFiles reads a finished run's final files.
func finalFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, name := range []string{runfolder.GenotypeFile, runfolder.ResultFile, runfolder.EigenFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		b.Write(data)
	}
	return b.String()
}

// TestFaultInjection kills (or fills the disk under) a run before and
// after every write of its life cycle — config, logs, checkpoints,
// genotype, result — then resumes it as a user would (rdarts search
// --resume, or a fresh start when nothing was written): every resumed run
// must end bit-identical to an uninterrupted one, with every final file.
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a tiny search per write")
	}
	cfg := tinyConfig()
	cfg.Epochs = 2
	events := writeEvents(t, cfg)
	ref := filepath.Join(t.TempDir(), "ref")
	if err := runSearch(t, cfg, ref, false, 0); err != nil {
		t.Fatal(err)
	}
	want, wantFiles := metricsWithoutTime(t, ref), finalFiles(t, ref)
	for i, ev := range events {
		// A kill and a full disk stop the run the same way here; they
		// take turns so that each write sees one of them.
		fault := []error{errKilled, syscall.ENOSPC}[i%2]
		{
			name := fmt.Sprintf("%02d-%s", i, strings.ReplaceAll(ev, "/", "-"))
			t.Run(name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "run")
				n := 0
				restore := runfolder.SetFaultHook(func(name string, after bool) error {
					n++
					if n == i+1 {
						return fault
					}
					return nil
				})
				err := startAndRun(cfg, dir, false)
				restore()
				if !errors.Is(err, fault) {
					t.Fatalf("fault at %s: run returned %v", ev, err)
				}
				if err := resumeSearch(t, cfg, dir); err != nil {
					t.Fatalf("resume after a fault at %s: %v", ev, err)
				}
				sameMetrics(t, want, metricsWithoutTime(t, dir))
				if got := finalFiles(t, dir); got != wantFiles {
					t.Errorf("final files differ after a fault at %s", ev)
				}
				left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
				if len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
			})
		}
	}
}

// resumeSearch continues a run the way the command does: --resume when
// the folder holds the run's settings, a new run otherwise.
func resumeSearch(t *testing.T, cfg Config, dir string) error {
	t.Helper()
	return startAndRun(cfg, dir, runfolder.Resumable(dir))
}

// startAndRun starts (or resumes) and runs a search, returning any error.
func startAndRun(cfg Config, dir string, resume bool) error {
	r, err := NewRunner(cfg, dir, fast.Backend{}, quiet)
	if err != nil {
		return err
	}
	if err := r.Start(resume); err != nil {
		return err
	}
	return r.Run(context.Background())
}

// TestADAFaultAtEpochCheckpoints kills DARTS-ADA between the per-epoch
// checkpoint and the main one, and after each per-epoch checkpoint: the
// resumed run must still roll back (its targets kept) and end as an
// uninterrupted one, with no per-epoch checkpoint left at the end.
func TestADAFaultAtEpochCheckpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs DARTS-ADA searches")
	}
	cfg := tinyConfig()
	cfg.Method, cfg.Epochs, cfg.ES = "darts-ada", 6, ESConfig{Window: 1, Delta: 1, Factor: 1e-9, StartEpoch: 1}
	cfg.ADA = ADAConfig{Factor: 10, Max: 3e-2}
	events := writeEvents(t, cfg)
	ref := filepath.Join(t.TempDir(), "ref")
	if err := runSearch(t, cfg, ref, false, 0); err != nil {
		t.Fatal(err)
	}
	want := metricsWithoutTime(t, ref)
	for i, ev := range events {
		if !strings.HasPrefix(ev, "checkpoint_") {
			continue
		}
		t.Run(fmt.Sprintf("%02d-%s", i, strings.ReplaceAll(ev, "/", "-")), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			n := 0
			restore := runfolder.SetFaultHook(func(string, bool) error {
				if n++; n == i+1 {
					return errKilled
				}
				return nil
			})
			err := startAndRun(cfg, dir, false)
			restore()
			if !errors.Is(err, errKilled) {
				t.Fatalf("run returned %v", err)
			}
			if err := resumeSearch(t, cfg, dir); err != nil {
				t.Fatalf("resume: %v", err)
			}
			sameMetrics(t, want, metricsWithoutTime(t, dir))
			if left, _ := filepath.Glob(filepath.Join(dir, "checkpoint_*.gob")); len(left) > 0 {
				t.Errorf("per-epoch checkpoints left after the run: %v", left)
			}
		})
	}
}
