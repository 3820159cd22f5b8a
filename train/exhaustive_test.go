package train

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/space"
)

// toySpace is S5's shape cut down to 4 architectures: one node fed by c_{k-2}
// and c_{k-1}, two ops on each edge, one α for both cell kinds.
func toySpace() space.Space {
	ops := []string{space.OpSkipConnect, space.OpSepConv3x3}
	return space.Space{
		Name: "toy", Steps: 1, Edges: []space.Edge{{Node: 0, Source: 0}, {Node: 0, Source: 1}},
		Normal: [][]string{ops, ops}, Reduce: [][]string{ops, ops}, Shared: true,
	}
}

func toyStudy(dir string) *Exhaustive {
	c := tinyConfig()
	c.Genotype, c.Epochs, c.TrainSize = "", 2, 96 // 6 steps per epoch
	return &Exhaustive{
		Cfg:   ExhaustiveConfig{Space: "toy", Train: c, Seeds: []uint64{1}},
		Space: toySpace(), Dir: dir, Workers: 1, Kernels: fast.Backend{}, Log: quiet,
	}
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(b), []byte("\n"))
}

// TestExhaustiveResume interrupts a study of the 4-architecture toy space in
// the middle of its third training, resumes it, and checks that the two
// finished architectures are not trained again, that the third continues
// from its own checkpoint and ends as an uninterrupted training would, and
// that the ranking finds a genotype whatever the order of its pairs.
func TestExhaustiveResume(t *testing.T) {
	archs, err := space.Enumerate(toySpace(), 10)
	if err != nil || len(archs) != 4 {
		t.Fatalf("toy space: %d architectures, %v", len(archs), err)
	}
	dir := t.TempDir()
	e := toyStudy(dir)
	e.beforeRun = func(index int, _ uint64, r *Runner) {
		if index == 2 {
			r.StopAfter = 8 // inside the second epoch
		}
	}
	if err := e.Run(context.Background()); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, have %v", err)
	}
	results := filepath.Join(dir, resultsFile)
	before := readLines(t, results)
	if len(before) != 2 {
		t.Fatalf("%d result lines after the interruption, want 2", len(before))
	}
	// Running again without --resume is refused.
	if err := toyStudy(dir).Run(context.Background()); err == nil {
		t.Fatal("a second study in the same folder was accepted")
	}
	// So is a resume with another budget.
	other := toyStudy(dir)
	other.Resume, other.Cfg.Train.Epochs = true, 3
	if err := other.Run(context.Background()); err == nil {
		t.Fatal("resuming with another budget was accepted")
	}

	e = toyStudy(dir)
	e.Resume = true
	var trained []int
	resumedAt := -1
	e.beforeRun = func(index int, _ uint64, r *Runner) {
		if index == 2 {
			resumedAt = r.state.Pos.Epoch*r.train.Steps() + r.state.Pos.Step
		}
	}
	e.OnResult = func(r ArchResult) { trained = append(trained, r.Index) }
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(trained, []int{2, 3}) {
		t.Errorf("resumed study trained %v, want [2 3]", trained)
	}
	if resumedAt != 8 {
		t.Errorf("architecture 2 resumed at step %d, want 8", resumedAt)
	}
	after := readLines(t, results)
	if len(after) != 4 || !bytes.Equal(after[0], before[0]) || !bytes.Equal(after[1], before[1]) {
		t.Fatalf("results after resuming:\n%s", bytes.Join(after, []byte("\n")))
	}
	// The interrupted training ends as one run straight through.
	cfg := e.Cfg.Train
	cfg.Genotype, cfg.Seed = archs[2].String(), 1
	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := runTrain(t, cfg, ref, false, 0); err != nil {
		t.Fatal(err)
	}
	sameMetrics(t, metricsWithoutTime(t, ref), metricsWithoutTime(t, RunDir(dir, 2, 1)))

	// Nothing is left to do.
	e.OnResult = func(r ArchResult) { t.Errorf("architecture %d trained again", r.Index) }
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	ranking, err := Ranking(dir)
	if err != nil || len(ranking) != 4 {
		t.Fatalf("ranking: %d entries, %v", len(ranking), err)
	}
	for i, en := range ranking {
		t.Logf("rank %d: arch %d, test error %.2f: %s", en.Rank, en.Index, en.Mean, en.Genotype)
		if i > 0 && en.Mean < ranking[i-1].Mean {
			t.Errorf("ranking not sorted at %d", i)
		}
	}
	g := archs[3]
	g.Normal = []space.Pair{g.Normal[1], g.Normal[0]}
	g.Reduce = slices.Clone(g.Normal)
	en, err := RankOf(ranking, toySpace(), g)
	if err != nil || en.Index != 3 {
		t.Errorf("RankOf(architecture 3 with its pairs swapped): %+v, %v", en, err)
	}
}

// TestExhaustiveWorkers runs two trainings at a time over two seeds and
// checks them against one-at-a-time results.
func TestExhaustiveWorkers(t *testing.T) {
	seq, par := toyStudy(filepath.Join(t.TempDir(), "seq")), toyStudy(filepath.Join(t.TempDir(), "par"))
	seq.Cfg.Train.Epochs, par.Cfg.Train.Epochs = 1, 1
	par.Workers, par.Cfg.Seeds = 2, []uint64{1, 2}
	for _, e := range []*Exhaustive{seq, par} {
		if err := e.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := Ranking(seq.Dir)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := readResults(par.Dir)
	if err != nil || len(res) != 8 {
		t.Fatalf("%d results with 2 workers, 2 seeds: %v", len(res), err)
	}
	for _, r := range res {
		if r.Seed != 1 {
			continue
		}
		for _, en := range rs {
			if en.Index == r.Index && en.Errors[0] != r.TestError {
				t.Errorf("architecture %d: test error %g in parallel, %g alone", r.Index, r.TestError, en.Errors[0])
			}
		}
	}
}
