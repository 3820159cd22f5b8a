package train

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

// TestFaultInjection kills (or fills the disk under) a training before and
// after every write of its life cycle, then resumes it as a user would:
// each resumed run must end bit-identical to an uninterrupted one, with
// its result.json.
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a tiny training per write")
	}
	cfg := tinyConfig()
	cfg.Epochs, cfg.TrainSize = 2, 64
	var events []string
	restore := runfolder.SetFaultHook(func(name string, after bool) error {
		events = append(events, fmt.Sprintf("%s/%v", name, after))
		return nil
	})
	ref := filepath.Join(t.TempDir(), "ref")
	err := startAndRun(cfg, ref, false)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	want, wantRes := metricsWithoutTime(t, ref), readResult(t, ref)
	wantRes.Seconds = 0
	killed := errors.New("killed")
	for i, ev := range events {
		fault := []error{killed, syscall.ENOSPC}[i%2]
		t.Run(fmt.Sprintf("%02d-%s", i, strings.ReplaceAll(ev, "/", "-")), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			n := 0
			restore := runfolder.SetFaultHook(func(string, bool) error {
				if n++; n == i+1 {
					return fault
				}
				return nil
			})
			err := startAndRun(cfg, dir, false)
			restore()
			if !errors.Is(err, fault) {
				t.Fatalf("run returned %v", err)
			}
			if err := startAndRun(cfg, dir, runfolder.Resumable(dir)); err != nil {
				t.Fatalf("resume: %v", err)
			}
			sameMetrics(t, want, metricsWithoutTime(t, dir))
			res := readResult(t, dir)
			res.Seconds = 0
			if res != wantRes {
				t.Errorf("result %+v, want %+v", res, wantRes)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

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

// TestResumeRules: the same settings resume, a changed one is refused by
// name, a finished run is not replaced without Force.
func TestResumeRules(t *testing.T) {
	cfg := tinyConfig()
	cfg.Epochs, cfg.TrainSize = 1, 32
	dir := filepath.Join(t.TempDir(), "run")
	if err := startAndRun(cfg, dir, false); err != nil {
		t.Fatal(err)
	}
	if err := startAndRun(cfg, dir, true); err != nil {
		t.Errorf("resuming a finished run with its own settings: %v", err)
	}
	c := cfg
	c.Epochs, c.LR = 10, 0.1
	if err := startAndRun(c, dir, true); err == nil || !strings.Contains(err.Error(), "--epochs (saved 1, given 10)") || !strings.Contains(err.Error(), "--lr (saved 0.025, given 0.1)") {
		t.Errorf("changed settings: %v", err)
	}
	if err := startAndRun(cfg, dir, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwrite: %v", err)
	}
	os.Remove(filepath.Join(dir, runfolder.CheckpointFile)) // a finished run without its checkpoint
	if err := startAndRun(cfg, dir, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwrite without a checkpoint: %v", err)
	}
	r, _ := NewRunner(c, dir, fast.Backend{}, quiet)
	r.Force = true
	if err := r.Start(false); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if saved, err := LoadConfig(dir); err != nil || saved.Epochs != 10 || runfolder.Finished(dir) {
		t.Errorf("after --force: %+v, %v, finished %v", saved, err, runfolder.Finished(dir))
	}
}
