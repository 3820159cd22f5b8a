package grid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rdarts/rdarts/internal/atomicfile"
)

// Files that mark a run folder's state; both `rdarts search` and `rdarts
// train` write them.
const (
	ResultFile     = "result.json"
	CheckpointFile = "checkpoint.gob"
	ConfigFile     = "config.json"
)

// Done reports whether the task finished (its run folder holds result.json).
func (t *Task) Done() bool { return exists(filepath.Join(t.Dir, ResultFile)) }

// Resumable reports whether an interrupted run can continue (checkpoint.gob).
func (t *Task) Resumable() bool { return exists(filepath.Join(t.Dir, CheckpointFile)) }

// Started reports whether the run folder exists.
func (t *Task) Started() bool { return exists(t.Dir) }

// FailedMarker is the file that holds the error of a failed last attempt.
func (t *Task) FailedMarker() string { return strings.TrimSuffix(t.Log, ".log") + ".failed" }

// Failed returns the error of the last attempt, if it failed.
func (t *Task) Failed() (string, bool) {
	b, err := os.ReadFile(t.FailedMarker())
	return strings.TrimSpace(string(b)), err == nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Result reads the run folder's result.json.
func (t *Task) Result() (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(t.Dir, ResultFile))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(t.Dir, ResultFile), err)
	}
	return m, nil
}

// ValidAcc is a finished search's one-shot validation accuracy (percent).
func (t *Task) ValidAcc() (float64, error) {
	m, err := t.Result()
	if err != nil {
		return 0, err
	}
	v, ok := m["valid_acc"].(float64)
	if !ok {
		return 0, fmt.Errorf("%s: no valid_acc", filepath.Join(t.Dir, ResultFile))
	}
	return v, nil
}

// Selected is the search a retraining takes its genotype from: its only
// search, or, for R-DARTS, the member with the highest one-shot validation
// accuracy (the first in grid order on a tie). Every member must be done.
func (t *Task) Selected() (*Task, float64, error) {
	best, bestAcc := (*Task)(nil), 0.0
	for _, s := range t.From {
		acc, err := s.ValidAcc()
		if err != nil {
			return nil, 0, fmt.Errorf("search %s is not finished: %w", s.ID, err)
		}
		if best == nil || acc > bestAcc {
			best, bestAcc = s, acc
		}
	}
	if best == nil {
		return nil, 0, fmt.Errorf("retrain task %s has no search", t.ID)
	}
	return best, bestAcc, nil
}

// CheckConfig refuses a search run folder whose config.json differs from
// the planned configuration (the grid file's budgets changed since it
// started); it names the first differing field.
func (t *Task) CheckConfig() error {
	if t.Stage != StageSearch {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(t.Dir, ConfigFile))
	if err != nil {
		return nil // not started yet
	}
	var have, want map[string]any
	if err := json.Unmarshal(b, &have); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(t.Dir, ConfigFile), err)
	}
	w, _ := json.Marshal(t.Search)
	_ = json.Unmarshal(w, &want)
	if k, hv, wv, ok := firstDiff(have, want, ""); ok {
		return fmt.Errorf("task %s: %s holds a run with %s = %v but the grid file now says %v; restore the grid file or delete the run folder",
			t.ID, t.Dir, k, hv, wv)
	}
	return nil
}

func firstDiff(a, b map[string]any, prefix string) (key string, av, bv any, differ bool) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		am, aok := a[k].(map[string]any)
		bm, bok := b[k].(map[string]any)
		if aok && bok {
			if kk, x, y, d := firstDiff(am, bm, prefix+k+"."); d {
				return kk, x, y, true
			}
			continue
		}
		x, _ := json.Marshal(a[k])
		y, _ := json.Marshal(b[k])
		if string(x) != string(y) {
			return prefix + k, a[k], b[k], true
		}
	}
	return "", nil, nil, false
}

// RunFunc runs one task to its end: resume says to continue from the run
// folder's checkpoint. Tests inject fakes; Exec.Run is the real one.
type RunFunc func(ctx context.Context, t *Task, resume bool) error

// ErrSkipped is returned by Attempt for a task that was already finished.
var ErrSkipped = errors.New("already finished")

// Attempt runs a task once with run, unless it is finished (ErrSkipped):
// it checks that its searches are done (retrain) and that the run folder
// matches the plan (search), resumes from a checkpoint when there is one,
// and records a failure in the task's .failed marker (removed on success).
// An interruption (ctx cancelled) is not recorded as a failure.
func Attempt(ctx context.Context, t *Task, run RunFunc) error {
	if t.Done() {
		return ErrSkipped
	}
	fail := func(err error) error {
		if ctx.Err() == nil {
			_ = os.MkdirAll(filepath.Dir(t.Log), 0o755)
			_ = os.WriteFile(t.FailedMarker(), []byte(err.Error()+"\n"), 0o644)
		}
		return err
	}
	if t.Stage == StageRetrain {
		if _, _, err := t.Selected(); err != nil {
			return fail(err)
		}
	}
	if err := t.CheckConfig(); err != nil {
		return fail(err)
	}
	os.Remove(t.FailedMarker())
	if err := run(ctx, t, t.Resumable()); err != nil {
		return fail(err)
	}
	if !t.Done() {
		return fail(fmt.Errorf("task %s ended without writing %s", t.ID, filepath.Join(t.Dir, ResultFile)))
	}
	return nil
}

// Exec runs tasks as subprocesses of the rdarts binary, their output
// appended to the task's log file.
type Exec struct {
	Binary string // the rdarts binary
	// Threads is passed as --threads (0: not passed).
	Threads int
	// Global are flags passed before the verb (e.g. --backend purego).
	Global []string
	// TrainHasFlag, if set, says whether `rdarts train` has a flag; the
	// grid's own --dataset/--data are passed only where it has them.
	TrainHasFlag func(name string) bool
	// Stderr, if set, also receives a line per started task.
	Stderr io.Writer
}

// Args is the command line (after the binary) that runs a task; for a
// search it writes the configuration file it names.
func (e Exec) Args(t *Task, resume bool) ([]string, error) {
	var args []string
	if e.Threads > 0 {
		args = append(args, "--threads", strconv.Itoa(e.Threads))
	}
	args = append(args, e.Global...)
	switch t.Stage {
	case StageSearch:
		args = append(args, "search", "--out", t.Dir)
		if resume {
			return append(args, "--resume"), nil
		}
		cfgPath := strings.TrimSuffix(t.Log, ".log") + ".config.json"
		b, _ := json.MarshalIndent(t.Search, "", "  ")
		if err := os.MkdirAll(filepath.Dir(cfgPath), 0o755); err != nil {
			return nil, err
		}
		if err := atomicfile.Write(cfgPath, append(b, '\n')); err != nil {
			return nil, err
		}
		return append(args, "--config", cfgPath), nil
	case StageRetrain:
		src, _, err := t.Selected()
		if err != nil {
			return nil, err
		}
		args = append(args, "train", "--genotype", src.Dir, "--out", t.Dir, "--seed", strconv.FormatUint(t.Seed, 10))
		for _, f := range []struct{ name, v string }{{"dataset", t.Dataset}, {"data", t.Data}} {
			if e.TrainHasFlag == nil || e.TrainHasFlag(f.name) {
				args = append(args, "--"+f.name, f.v)
			}
		}
		keys := make([]string, 0, len(t.Train))
		for k := range t.Train {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			args = append(args, "--"+k+"="+t.Train[k])
		}
		if resume {
			args = append(args, "--resume")
		}
		return args, nil
	}
	return nil, fmt.Errorf("task %s: unknown stage %q", t.ID, t.Stage)
}

// Run runs the task's process and waits for it. Cancelling ctx sends it
// SIGTERM, on which rdarts writes a checkpoint and exits.
func (e Exec) Run(ctx context.Context, t *Task, resume bool) error {
	args, err := e.Args(t, resume)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(t.Log), 0o755); err != nil {
		return err
	}
	log, err := os.OpenFile(t.Log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	fmt.Fprintf(log, "=== %s: %s %s\n", time.Now().Format(time.RFC3339), e.Binary, strings.Join(args, " "))
	if e.Stderr != nil {
		verb := "start"
		if resume {
			verb = "resume"
		}
		fmt.Fprintf(e.Stderr, "grid: %s %s %s (log %s)\n", verb, t.Stage, t.ID, t.Log)
	}
	cmd := exec.CommandContext(ctx, e.Binary, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 2 * time.Minute
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: interrupted (%v); rerun to resume", t.Stage, t.ID, err)
		}
		return fmt.Errorf("%s %s: %v (see %s)", t.Stage, t.ID, err, t.Log)
	}
	return nil
}
