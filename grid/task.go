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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/robust"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/train"
)

// Done reports whether the task finished (its run folder holds
// result.json, the last file a run writes).
func (t *Task) Done() bool { return runfolder.Finished(t.Dir) }

// Resumable reports whether an interrupted run can continue (its folder
// holds the run's settings; without a checkpoint it starts at epoch 0).
func (t *Task) Resumable() bool { return runfolder.Resumable(t.Dir) }

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

// SearchResult reads a finished search task's result.json.
func (t *Task) SearchResult() (search.Outcome, error) { return search.ReadResult(t.Dir) }

// TrainResult reads a finished retraining task's result.json.
func (t *Task) TrainResult() (train.Result, error) { return train.ReadResult(t.Dir) }

// Selected is the search a retraining takes its genotype from: its only
// search, or, for R-DARTS, the member with the best score — the held-out
// accuracy of its select task (selection by retraining), else the one-shot
// validation accuracy — the first in grid order on a tie. Every member
// (and select task) must be done.
func (t *Task) Selected() (*Task, float64, error) {
	best, bestAcc := (*Task)(nil), 0.0
	for i, s := range t.From {
		res, err := s.SearchResult()
		if err != nil {
			return nil, 0, fmt.Errorf("search %s is not finished: %w", s.ID, err)
		}
		score := res.ValidAcc
		if len(t.Scores) > 0 {
			sel, err := t.Scores[i].TrainResult()
			if err != nil {
				return nil, 0, fmt.Errorf("selection retraining %s is not finished: %w", t.Scores[i].ID, err)
			}
			score = sel.TestAcc
		}
		if best == nil || score > bestAcc {
			best, bestAcc = s, score
		}
	}
	if best == nil {
		return nil, 0, fmt.Errorf("retrain task %s has no search", t.ID)
	}
	return best, bestAcc, nil
}

// Changes lists the settings in which a task's run folder differs from
// the grid file (the file's budgets or protocol changed since the run
// started, or a retraining's selected genotype did); none for a task not
// started.
func (t *Task) Changes() ([]runfolder.Change, error) {
	if !t.Resumable() {
		return nil, nil
	}
	switch t.Stage {
	case StageSearch:
		have, err := search.LoadConfig(t.Dir)
		if err != nil {
			return nil, err
		}
		return runfolder.Diff(have, t.Search)
	case StageSelect, StageRetrain:
		want, err := t.TrainConfig()
		if err != nil {
			return nil, nil // its searches are being redone: judged once they finish
		}
		have, err := train.ReadConfig(t.Dir)
		if err != nil {
			return nil, err
		}
		return runfolder.Diff(have, want)
	}
	return nil, nil
}

// TrainConfig is a select or retrain task's training configuration
// (SelectConfig, RetrainConfig).
func (t *Task) TrainConfig() (train.Config, error) {
	if t.Stage == StageSelect {
		return t.SelectConfig()
	}
	return t.RetrainConfig()
}

// RetrainConfig is a retrain task's training configuration: the grid's
// protocol with the selected search's genotype, as config.json records
// it once the run started; its searches (and selection) must be finished.
func (t *Task) RetrainConfig() (train.Config, error) {
	src, _, err := t.Selected()
	if err != nil {
		return train.Config{}, err
	}
	g, from, err := train.ResolveGenotype(src.Dir)
	if err != nil {
		return train.Config{}, fmt.Errorf("task %s: %w", t.ID, err)
	}
	c := t.Train
	c.Genotype, c.GenotypeSource = g.String(), from
	c.Dataset, c.Data, c.Seed = t.Dataset, t.Data, t.Seed
	return c.Resolved(), nil
}

// SelectConfig is a select task's training configuration; its search
// must be finished.
func (t *Task) SelectConfig() (train.Config, error) {
	s := t.From[0]
	res, err := s.SearchResult()
	if err != nil {
		return train.Config{}, fmt.Errorf("search %s is not finished: %w", s.ID, err)
	}
	return robust.SelectConfig(s.Search, res, s.Dir, t.Budget), nil
}

// ErrChanged is returned by Attempt for a task whose run folder holds a
// run with other settings than the grid file's (see Changes).
var ErrChanged = errors.New("settings changed since the run started")

func changedError(t *Task, changes []runfolder.Change) error {
	var names []string
	for _, c := range changes {
		names = append(names, c.String())
	}
	return fmt.Errorf("%w: task %s: %s holds a run with %s; grid run --rerun-changed replaces it",
		ErrChanged, t.ID, t.Dir, strings.Join(names, ", "))
}

// RunFunc runs one task to its end: resume says to continue the run in
// its folder, force to replace it. Tests inject fakes; Exec.Run is the
// real one.
type RunFunc func(ctx context.Context, t *Task, resume, force bool) error

// ErrSkipped is returned by Attempt for a task that was already finished.
var ErrSkipped = errors.New("already finished")

// Attempt runs a task once with run, unless it is finished with the grid
// file's settings (ErrSkipped): it checks that its searches are done
// (retrain), refuses a run folder whose settings changed (ErrChanged)
// unless rerunChanged, which replaces it, resumes the run its folder
// holds (or, for a search with a finished twin, copies the twin's run),
// and records a failure in the task's .failed marker (removed on
// success). An interruption (ctx cancelled) is not recorded as a failure.
func Attempt(ctx context.Context, t *Task, run RunFunc, rerunChanged bool) error {
	changes, err := t.Changes()
	if err == nil && len(changes) == 0 && t.Done() {
		return ErrSkipped
	}
	fail := func(err error) error {
		if ctx.Err() == nil {
			_ = os.MkdirAll(filepath.Dir(t.Log), 0o755)
			_ = os.WriteFile(t.FailedMarker(), []byte(err.Error()+"\n"), 0o644)
		}
		return err
	}
	force := false
	switch {
	case err != nil && !rerunChanged:
		return fail(err)
	case err != nil || len(changes) > 0:
		if !rerunChanged {
			return changedError(t, changes)
		}
		force = true
	}
	if t.Stage != StageSearch {
		if _, err := t.TrainConfig(); err != nil {
			return fail(err)
		}
	}
	os.Remove(t.FailedMarker())
	twin := t.Twin
	if t.Stage == StageRetrain {
		twin = t.retrainTwin()
	}
	if twin != nil && twin.Done() && (force || !t.Started()) {
		if err := t.copyTwin(force); err != nil {
			return fail(err)
		}
		return nil
	}
	if err := run(ctx, t, !force && t.Resumable(), force); err != nil {
		return fail(err)
	}
	if !t.Done() {
		return fail(fmt.Errorf("task %s ended without writing %s", t.ID, filepath.Join(t.Dir, runfolder.ResultFile)))
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
	// Stderr, if set, also receives a line per started task.
	Stderr io.Writer
}

// Args is the command line (after the binary) that runs a task; for a
// search it writes the configuration file it names.
func (e Exec) Args(t *Task, resume, force bool) ([]string, error) {
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
		if force {
			args = append(args, "--force")
		}
		cfgPath := strings.TrimSuffix(t.Log, ".log") + ".config.json"
		if err := writeConfig(cfgPath, t.Search); err != nil {
			return nil, fmt.Errorf("task %s: %w", t.ID, err)
		}
		return append(args, "--config", cfgPath), nil
	case StageSelect, StageRetrain:
		args = append(args, "train", "--out", t.Dir)
		switch {
		case resume:
			args = append(args, "--resume")
		case force:
			args = append(args, "--force")
		}
		c, err := t.TrainConfig()
		if err != nil {
			return nil, err
		}
		cfgPath := strings.TrimSuffix(t.Log, ".log") + ".config.json"
		if err := writeConfig(cfgPath, c); err != nil {
			return nil, fmt.Errorf("task %s: %w", t.ID, err)
		}
		return append(args, "--config", cfgPath), nil
	}
	return nil, fmt.Errorf("task %s: unknown stage %q", t.ID, t.Stage)
}

// writeConfig writes the settings file a task's process reads.
func writeConfig(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding its settings: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}

// Run runs the task's process and waits for it. Cancelling ctx sends it
// SIGTERM, on which rdarts writes a checkpoint and exits.
func (e Exec) Run(ctx context.Context, t *Task, resume, force bool) error {
	args, err := e.Args(t, resume, force)
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
