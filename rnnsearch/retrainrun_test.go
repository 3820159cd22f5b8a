package rnnsearch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/space"
)

func tinyRetrain(data string) RetrainConfig {
	c := DefaultRetrainConfig()
	c.Genotype, c.Data, c.Epochs, c.Hidden, c.BatchSize, c.EvalBatch, c.TestBatch, c.BPTT = space.RNNDARTSV2.String(), data, 3, 8, 8, 4, 4, 6
	c.Dropout, c.DropoutH, c.DropoutX, c.DropoutI, c.NonMono = 0.1, 0.1, 0.1, 0.1, 1
	return c
}

// retrainFor starts (or resumes) a retraining in dir and runs it, stopping
// after stopAfter steps if > 0.
func retrainFor(t *testing.T, cfg RetrainConfig, dir string, resume bool, stopAfter int) error {
	t.Helper()
	r, err := NewRetrainer(cfg, dir, fast.Backend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.StopAfter = stopAfter
	if err := r.Start(resume); err != nil {
		return err
	}
	return r.Run(context.Background())
}

// An interrupted retraining resumes bit-identically: interrupted in the
// middle of an epoch (the checkpoint Ctrl-C writes) and at an epoch's end
// (the last checkpoint a SIGKILL leaves), the finished folder's
// metrics.jsonl and result.json equal those of an uninterrupted run.
func TestRetrainResume(t *testing.T) {
	data := writeCorpus(t)
	cfg := tinyRetrain(data)
	whole := t.TempDir()
	if err := retrainFor(t, cfg, whole, false, 0); err != nil {
		t.Fatal(err)
	}
	r, _ := NewRetrainer(cfg, t.TempDir(), fast.Backend{}, nil)
	steps := r.tr.BeginEpoch()
	for _, stops := range [][]int{{steps / 2, steps + 1}, {steps}} {
		dir := t.TempDir()
		resume := false
		for _, n := range stops {
			if err := retrainFor(t, cfg, dir, resume, n); !errors.Is(err, runfolder.ErrInterrupted) {
				t.Fatalf("stop after %d steps: %v", n, err)
			}
			resume = true
		}
		if err := retrainFor(t, cfg, dir, true, 0); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{runfolder.MetricsFile, runfolder.ResultFile} {
			want, _ := os.ReadFile(filepath.Join(whole, f))
			got, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || string(got) != string(want) {
				t.Errorf("stops %v: %s differs:\n%s\nwant\n%s", stops, f, got, want)
			}
		}
		// One provenance record per start or resume.
		recs, err := provenance.Read(dir)
		if err != nil || len(recs) != len(stops)+1 || recs[0].Event != "start" || recs[1].Event != "resume" || recs[0].Backend != "fast" {
			t.Errorf("stops %v: provenance %+v, %v", stops, recs, err)
		}
	}
	// Resuming with another setting is refused, naming it.
	other := cfg
	other.LR = 3
	if err := retrainFor(t, other, whole, true, 0); err == nil {
		t.Error("a changed lr was accepted on resume")
	}
}

// TestRetrainKilled: a retraining killed at any file write (the fault hook
// fails it there, as a SIGKILL would leave the folder) resumes to the same
// metrics.jsonl and result.json as an uninterrupted one.
func TestRetrainKilled(t *testing.T) {
	data := writeCorpus(t)
	cfg := tinyRetrain(data)
	cfg.Epochs = 2
	var events int
	restore := runfolder.SetFaultHook(func(string, bool) error { events++; return nil })
	whole := t.TempDir()
	err := retrainFor(t, cfg, whole, false, 0)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	killed := errors.New("killed")
	for i := range events {
		dir := filepath.Join(t.TempDir(), "run")
		n := 0
		restore := runfolder.SetFaultHook(func(string, bool) error {
			if n++; n == i+1 {
				return killed
			}
			return nil
		})
		err := retrainFor(t, cfg, dir, false, 0)
		restore()
		if !errors.Is(err, killed) {
			t.Fatalf("write %d: run returned %v", i, err)
		}
		if err := retrainFor(t, cfg, dir, runfolder.Resumable(dir), 0); err != nil {
			t.Fatalf("write %d: resume: %v", i, err)
		}
		for _, f := range []string{runfolder.MetricsFile, runfolder.ResultFile} {
			want, _ := os.ReadFile(filepath.Join(whole, f))
			got, _ := os.ReadFile(filepath.Join(dir, f))
			if string(got) != string(want) {
				t.Errorf("killed at write %d: %s differs:\n%s\nwant\n%s", i, f, got, want)
			}
		}
	}
}
