package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/grid"
	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
)

type gridOptions struct {
	// run
	local, slurm bool
	workers      int
	binary       string
	sl           grid.Slurm
	// task
	stage string
	id    string
	index int
	// status
	noSlurm bool
	// run and task
	rerunChanged bool
}

func newCmdGrid(g *globals) *cobra.Command {
	o := &gridOptions{}
	cmd := &cobra.Command{
		Use:   "grid",
		Short: "Run a study grid (spaces × datasets × methods × seeds) locally or on Slurm",
		Long: `A grid file (YAML) names spaces, datasets, methods (darts, darts-es, darts-ada, r-darts-l2,
r-darts-dp, rs-ws), seeds, the search budget, the data folders, an output root and whether
each found genotype is retrained. Its spaces are the convolutional ones (darts, s1–s5); the
recurrent cell's R-DARTS(L2) is rdarts robust --space rnn. R-DARTS(L2) expands to one search per weight decay of
l2_grid (default 3e-4, 9e-4, 2.7e-3, 8.1e-3), R-DARTS(DP) to one per drop-path probability
of dp_grid (default 0, 0.2, 0.4, 0.6) with cutout. Per seed one member is selected (grid
collect) and retrained: with select: {rule: retrain} (the default) each member's architecture
is first retrained from scratch for a short budget (stage select: 10 epochs, 5 cells of 16
channels; the search's w images, scored on its α images, never the test set) and the best
held-out accuracy wins; select: {rule: oneshot} takes the best one-shot validation accuracy.

Nothing is computed twice: R-DARTS(L2)'s member with DARTS' weight decay copies the DARTS
search of its seed, DARTS-ES listed after DARTS with the same settings is cut from the DARTS
run where its rule fires, and a retraining of a genotype that an earlier retraining of the same
seed trains under the same protocol (DARTS-ES that never fired, R-DARTS selecting that member)
copies it; same seed and settings give the same bits, so the copies are exact.

Task ids are readable slugs of the varying parameters (s2_cifar10_r-darts-l2_wd0.0009_seed1):
adding a seed or a space never renames a task. Run folders are OUT/search/ID and
OUT/select/ID and OUT/retrain/ID; finished tasks (result.json) are skipped and interrupted
ones resumed, so rerunning the same command finishes a grid. A run folder whose settings differ
from the grid file's is reported as changed and left alone; grid run --rerun-changed replaces it.

Grid file example:

  out: runs/study                 # relative paths are relative to the grid file
  spaces: [s1, s2, s3, s4]
  datasets: [cifar10, svhn]
  methods: [darts, darts-es, darts-ada, r-darts-l2, r-darts-dp]
  seeds: [1, 2, 3]
  data: {cifar10: /data/cifar10, svhn: /data/svhn}
  search:                         # any rdarts search setting, by its key (docs/settings.md)
    epochs: 50
    hessian_every: 2
  overrides:                      # applied in order to the matching tasks
    - {dataset: svhn, set: {epochs: 25}}
  select: {rule: retrain, epochs: 10, layers: 5, init_channels: 16}   # R-DARTS selection
  retrain: true
  retrain_members: selected       # or all: retrain every R-DARTS member
  train: {epochs: 600, layers: 20, init_channels: 36}   # settings of rdarts train

Settings are written by their keys (init_channels); their flag names (init-channels) are
accepted too. An unknown key is one error naming the file, the line and the key.`,
	}
	cmd.AddCommand(newCmdGridPlan(g), newCmdGridRun(g, o), newCmdGridTask(g, o), newCmdGridStatus(g, o), newCmdGridCollect(g))
	return cmd
}

// loadPlan reads a grid file and expands it.
func loadPlan(g *globals, path string) (*grid.Plan, error) {
	f, err := grid.Load(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usageErr("grid file: %v", err)
		}
		return nil, usageErr("%v", err)
	}
	p, err := f.Plan()
	if err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	return p, nil
}

func newCmdGridPlan(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "plan FILE",
		Short: "Print the grid's tasks with their ids and run folders",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPlan(g, args[0])
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "STAGE\tINDEX\tID\tFOLDER")
			for _, stage := range grid.Stages {
				for i, t := range p.Tasks(stage) {
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", stage, i, t.ID, t.Dir)
				}
			}
			w.Flush()
			fmt.Fprintf(g.stdout, "%d search tasks, %d select tasks, %d retrain tasks; output in %s\n", len(p.Search), len(p.Select), len(p.Retrain), p.File.Out)
			return nil
		},
	}
}

// executable is the rdarts binary that tasks run.
func (o *gridOptions) executable() (string, error) {
	if o.binary != "" {
		return filepath.Abs(o.binary)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find the rdarts binary (%v): pass --rdarts", err)
	}
	return exe, nil
}

func (g *globals) taskGlobals() []string { return []string{"--backend", g.backend} }

func newCmdGridRun(g *globals, o *gridOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run FILE (--local [--workers N] | --slurm [--partition P --time T ...])",
		Short: "Run the grid's unfinished tasks on this machine or submit them to Slurm",
		Long: `--local runs the tasks here, N at a time, each with --threads = cores/N (cores = --threads
or all); a retraining starts when its searches are done. Ctrl-C (or SIGTERM) checkpoints the
running tasks; the same command resumes them and skips finished ones.

--slurm writes OUT/slurm/search-STAMP.sh and retrain-STAMP.sh (sbatch job arrays of the
unfinished tasks, the retrain array --dependency=afterok on the search array), the index → id
lists next to them, submits them and appends the job ids to OUT/slurm/jobs.jsonl. Each array
element runs 'rdarts grid task FILE --stage STAGE --id ID' with --threads $SLURM_CPUS_PER_TASK.
The grid file, the data and the rdarts binary must be on a file system the nodes share.`,
		Example: `  rdarts grid run study.yaml --local --workers 4
  rdarts grid run study.yaml --slurm --partition gpu --time 24:00:00 --cpus-per-task 8 --mem 16G`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.local == o.slurm {
				return usageErr("grid run: pass exactly one of --local and --slurm")
			}
			if o.workers < 1 {
				return usageErr("--workers: must be at least 1, have %d", o.workers)
			}
			p, err := loadPlan(g, args[0])
			if err != nil {
				return err
			}
			exe, err := o.executable()
			if err != nil {
				return err
			}
			if o.slurm {
				s := o.sl
				s.Binary, s.Global = exe, g.taskGlobals()
				_, err := s.Submit(cmd.Context(), p, g.stdout)
				return err
			}
			cores := g.threads
			if cores <= 0 {
				cores = runtime.NumCPU()
			}
			ex := grid.Exec{Binary: exe, Threads: max(1, cores/o.workers), Global: g.taskGlobals()}
			if !g.quiet {
				ex.Stderr = g.stderr
			}
			l := grid.Local{Workers: o.workers, Run: ex.Run, RerunChanged: o.rerunChanged}
			if !g.quiet {
				l.Log = g.stderr
			}
			// One grid run at a time on one out folder.
			lock, err := runfolder.Acquire(p.File.Out)
			if err != nil {
				return fmt.Errorf("grid run: %w", err)
			}
			defer lock.Release()
			if err := provenance.Append(lock, provenance.Collect(g.backend), provenance.NextEvent(lock)); err != nil {
				return fmt.Errorf("grid run: %w", err)
			}
			sum, err := l.Execute(cmd.Context(), p)
			fmt.Fprintf(g.stdout, "grid: %d ran, %d already finished, %d failed, %d changed, %d blocked; run folders in %s\n",
				sum.Ran, sum.Skipped, sum.Failed, sum.Changed, sum.Blocked, p.File.Out)
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.local, "local", false, "run the tasks on this machine")
	f.BoolVar(&o.rerunChanged, "rerun-changed", false, "replace the runs whose settings differ from the grid file's (grid status: changed)")
	f.IntVar(&o.workers, "workers", 1, "--local: tasks at a time")
	f.BoolVar(&o.slurm, "slurm", false, "submit the tasks as Slurm job arrays")
	f.StringVar(&o.binary, "rdarts", "", "the rdarts binary tasks run (default: this one)")
	f.StringVar(&o.sl.Partition, "partition", "", "--slurm: partition")
	f.StringVar(&o.sl.Time, "time", "", "--slurm: time limit per task (e.g. 24:00:00)")
	f.IntVar(&o.sl.CPUsPerTask, "cpus-per-task", 0, "--slurm: cores per task (also its --threads)")
	f.StringVar(&o.sl.Mem, "mem", "", "--slurm: memory per task (e.g. 16G)")
	f.StringVar(&o.sl.Account, "account", "", "--slurm: account to charge")
	f.IntVar(&o.sl.MaxParallel, "max-parallel", 0, "--slurm: at most this many tasks of an array at once (0 = no limit)")
	f.StringArrayVar(&o.sl.Extra, "sbatch-option", nil, "--slurm: another sbatch option for the scripts, e.g. --qos=long (repeatable)")
	f.BoolVar(&o.sl.DryRun, "dry-run", false, "--slurm: write the scripts, submit nothing")
	return cmd
}

func newCmdGridTask(g *globals, o *gridOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task FILE --stage STAGE (--id ID | --index N)",
		Short: "Run one task of a grid (what each Slurm array element runs)",
		Long: `Runs one task as 'grid run --local' would: nothing if it is finished, --resume if its run
folder holds a checkpoint. --index N is the task's position in 'grid plan' within its stage
(the order of the .ids file written with a Slurm script while the grid file is unchanged).
Threads: --threads, else $SLURM_CPUS_PER_TASK, else all cores.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (o.id == "") == (o.index < 0) {
				return usageErr("grid task: pass exactly one of --id and --index")
			}
			p, err := loadPlan(g, args[0])
			if err != nil {
				return err
			}
			var t *grid.Task
			if o.id != "" {
				if t, err = p.Find(o.stage, o.id); err != nil {
					return usageErr("--id: %v", err)
				}
			} else {
				tasks := p.Tasks(o.stage)
				if !slices.Contains(grid.Stages, o.stage) {
					return usageErr("--stage: %q is not one of %s", o.stage, strings.Join(grid.Stages, ", "))
				}
				if o.index >= len(tasks) {
					return usageErr("--index: %d is past the %d %s tasks", o.index, len(tasks), o.stage)
				}
				t = tasks[o.index]
			}
			exe, err := o.executable()
			if err != nil {
				return err
			}
			threads := g.threads
			if n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK")); threads <= 0 && err == nil && n > 0 {
				threads = n
			}
			ex := grid.Exec{Binary: exe, Threads: threads, Global: g.taskGlobals(), Stderr: g.stderr}
			err = grid.Attempt(cmd.Context(), t, ex.Run, o.rerunChanged)
			switch {
			case errors.Is(err, grid.ErrSkipped):
				fmt.Fprintf(g.stdout, "%s %s: already finished (%s)\n", t.Stage, t.ID, t.Dir)
				return nil
			case err != nil:
				return err
			}
			fmt.Fprintf(g.stdout, "%s %s: done (%s)\n", t.Stage, t.ID, t.Dir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.stage, "stage", grid.StageSearch, "search, select or retrain")
	f.StringVar(&o.id, "id", "", "the task's id (see grid plan)")
	f.IntVar(&o.index, "index", -1, "the task's index within its stage (see grid plan)")
	f.StringVar(&o.binary, "rdarts", "", "the rdarts binary the task runs (default: this one)")
	return cmd
}

func newCmdGridStatus(g *globals, o *gridOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status FILE",
		Short: "Show each task's state: done, running, pending, failed, interrupted, not-started",
		Long: `Reads the run folders and, for grids submitted with --slurm, squeue and sacct (where
accounting is on) for the latest array element of each task.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPlan(g, args[0])
			if err != nil {
				return err
			}
			var q grid.QueueFunc
			if !o.noSlurm {
				q = grid.SlurmQueue
			}
			st, qerr := p.Status(cmd.Context(), q)
			if st == nil {
				return qerr
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "STAGE\tID\tSTATE\tDETAIL")
			count := map[string]int{}
			for _, s := range st {
				count[s.State]++
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.Task.Stage, s.Task.ID, s.State, firstLine(s.Detail))
			}
			w.Flush()
			var parts []string
			for _, k := range []string{grid.StateDone, grid.StateRunning, grid.StatePending, grid.StateFailed, grid.StateChanged, grid.StatePartial, grid.StateNotStarted} {
				if count[k] > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", count[k], k))
				}
			}
			fmt.Fprintf(g.stdout, "%d tasks: %s\n", len(st), strings.Join(parts, ", "))
			if qerr != nil {
				fmt.Fprintf(g.stderr, "rdarts: the Slurm queue could not be read (%v); states are from the run folders only\n", qerr)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.noSlurm, "no-slurm", false, "read only the run folders")
	return cmd
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func newCmdGridCollect(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "collect FILE",
		Short: "Per space, dataset, method and seed: the selected search (R-DARTS: the member its selection rule picks) and its retraining",
		Long: `Prints one row per (space, dataset, method, seed). For R-DARTS(L2/DP) the member with the
best score is selected (ties: the first in grid order), as the retrain stage does: the held-out
accuracy of its short retraining (select: {rule: retrain}, the default), or its one-shot
validation accuracy at the end of search (select: {rule: oneshot}). 'rdarts report' over the grid's out folder gives the
paper-style tables from the same run folders.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPlan(g, args[0])
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SPACE\tDATASET\tMETHOD\tSEED\tSEARCHES\tSELECTED\tVALID ACC\tRETRAIN")
			for _, s := range p.Collect() {
				sel, acc, re := "-", "-", "-"
				if s.Selected != nil {
					sel, acc = s.Selected.ID, fmt.Sprintf("%.2f", s.ValidAcc)
				}
				if s.Retrain != nil {
					re = fmt.Sprintf("test_error %.2f", s.Retrain.TestError)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d/%d\t%s\t%s\t%s\n", s.Space, s.Dataset, s.Method, s.Seed, s.Done, s.Members, sel, acc, re)
			}
			return w.Flush()
		},
	}
}
