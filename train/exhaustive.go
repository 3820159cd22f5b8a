package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/space"
)

// ExhaustiveConfig defines a ground-truth study of a small space: every
// architecture of the space trained with one budget and each seed. It is
// written to the study folder as exhaustive.json; a resumed study must have
// the same one.
type ExhaustiveConfig struct {
	Space string `json:"space" yaml:"space"`
	// Train is the budget; its Genotype and Seed are set per training.
	Train Config   `json:"train" yaml:"train"`
	Seeds []uint64 `json:"seeds" yaml:"seeds"`
}

// ArchResult is one line of results.jsonl: architecture Index (its position
// in space.Enumerate's order) trained with Seed, and its Result. A training
// that diverged is recorded with its Error and a test error of 100 %, so
// that the study can finish and ranks it last.
type ArchResult struct {
	Index int `json:"index"`
	Result
	Error string `json:"error,omitempty"`
}

// MaxExhaustive bounds the architectures a study will enumerate.
const MaxExhaustive = 10000

const (
	exhaustiveFile = "exhaustive.json"
	resultsFile    = "results.jsonl"
)

// Exhaustive trains every architecture of a space (the 81 of S5: docs/method.md,
// Search spaces),
// Workers at a time, each in a run folder of its own under Dir/runs, and
// appends a line to Dir/results.jsonl as each finishes. Interrupted (ctx
// cancelled), every running training checkpoints and Run returns
// ErrInterrupted; run again with Resume to skip the finished lines and
// continue each half-finished training from its own checkpoint.
//
// Trainings share the datasets and the kernels backend. The number of
// goroutines each training splits its kernels over is the process-wide
// parallel.Workers(); the command line sets it to cores/Workers, so that
// Workers trainings together use every core once. Results are bit-identical
// for the same split; a training resumed under a different split continues
// with slightly different rounding.
type Exhaustive struct {
	Cfg ExhaustiveConfig
	// Space is the space enumerated; the zero value means space.Get(Cfg.Space).
	Space   space.Space
	Dir     string
	Workers int // concurrent trainings; 0 means 1
	Resume  bool
	Kernels kernels.Backend
	Log     *slog.Logger
	// OnResult, if set, is called after each result line is written, one
	// call at a time.
	OnResult func(ArchResult)

	beforeRun func(index int, seed uint64, r *Runner) // tests: e.g. set StopAfter
}

type job struct {
	index int
	seed  uint64
	g     space.Genotype
}

// Run trains the missing (architecture, seed) pairs.
func (e *Exhaustive) Run(ctx context.Context) error {
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	sp := e.Space
	if sp.Name == "" {
		var err error
		if sp, err = space.Get(e.Cfg.Space); err != nil {
			return err
		}
	}
	if len(e.Cfg.Seeds) == 0 {
		return fmt.Errorf("seeds: need at least one seed")
	}
	archs, err := space.Enumerate(sp, MaxExhaustive)
	if err != nil {
		return err
	}
	base := e.Cfg.Train.Resolved()
	base.Genotype = archs[0].String() // for Validate
	if err := base.Validate(); err != nil {
		return err
	}
	e.Cfg.Train = base
	e.Cfg.Train.Genotype, e.Cfg.Train.Seed = "", 0
	study, err := runfolder.Acquire(e.Dir)
	if err != nil {
		return err
	}
	defer study.Release()
	if err := provenance.Append(study, provenance.Collect(backendName(e.Kernels)), provenance.NextEvent(study)); err != nil {
		return err
	}
	if err := e.start(study); err != nil {
		return err
	}
	done, err := e.loadResults(archs)
	if err != nil {
		return err
	}
	var jobs []job
	for i, g := range archs {
		for _, s := range e.Cfg.Seeds {
			if !done[key(i, s)] {
				jobs = append(jobs, job{i, s, g})
			}
		}
	}
	total := len(archs) * len(e.Cfg.Seeds)
	e.Log.Info("exhaustive", "space", sp.Name, "architectures", len(archs), "seeds", len(e.Cfg.Seeds),
		"done", total-len(jobs), "to_train", len(jobs), "workers", max(e.Workers, 1), "out", e.Dir)
	if len(jobs) == 0 {
		return nil
	}
	ds, err := LoadDatasets(base.Dataset, base.Data)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan job)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		finished = total - len(jobs)
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for w := 0; w < max(e.Workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				res, err := e.train(ctx, j, ds)
				if err != nil {
					if !errors.Is(err, ErrInterrupted) {
						err = fmt.Errorf("architecture %d, seed %d: %w", j.index, j.seed, err)
					}
					fail(err)
					continue
				}
				mu.Lock()
				err = e.appendResult(res)
				finished++
				n := finished
				if err == nil && e.OnResult != nil {
					e.OnResult(res)
				}
				mu.Unlock()
				if err != nil {
					fail(err)
					continue
				}
				e.Log.Info("trained", "arch", j.index, "seed", j.seed, "test_error", fmt.Sprintf("%.2f", res.TestError),
					"params", res.Params, "progress", fmt.Sprintf("%d/%d", n, total))
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case queue <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	if firstErr != nil && !errors.Is(firstErr, ErrInterrupted) {
		return firstErr
	}
	if firstErr != nil || ctx.Err() != nil {
		return ErrInterrupted
	}
	return nil
}

func key(index int, seed uint64) string { return fmt.Sprintf("%d/%d", index, seed) }

// RunDir is the run folder of one training of a study.
func RunDir(dir string, index int, seed uint64) string {
	return filepath.Join(dir, "runs", fmt.Sprintf("arch%03d_seed%d", index, seed))
}

// train runs or resumes one training.
func (e *Exhaustive) train(ctx context.Context, j job, ds Datasets) (ArchResult, error) {
	cfg := e.Cfg.Train
	cfg.Genotype, cfg.Seed = j.g.String(), j.seed
	dir := RunDir(e.Dir, j.index, j.seed)
	r, err := NewRunnerData(cfg, ds, dir, e.Kernels, e.Log.With("arch", j.index, "seed", j.seed))
	if err != nil {
		return ArchResult{}, err
	}
	if err := r.Start(runfolder.Resumable(dir)); err != nil {
		return ArchResult{}, err
	}
	if e.beforeRun != nil {
		e.beforeRun(j.index, j.seed, r)
	}
	if err := r.Run(ctx); errors.Is(err, ErrDiverged) {
		e.Log.Warn("diverged", "arch", j.index, "seed", j.seed, "err", err)
		return ArchResult{Index: j.index, Error: err.Error(), Result: Result{
			Genotype: cfg.Genotype, Dataset: cfg.Dataset, Epochs: cfg.Epochs, Seed: j.seed, TestError: 100,
		}}, nil
	} else if err != nil {
		return ArchResult{}, err
	}
	res, ok := r.Result()
	if !ok {
		return ArchResult{}, fmt.Errorf("run in %s stopped before its last epoch", dir)
	}
	return ArchResult{Index: j.index, Result: res}, nil
}

// start creates the study folder or checks that it holds this study.
func (e *Exhaustive) start(study *runfolder.Folder) error {
	path := filepath.Join(e.Dir, exhaustiveFile)
	want, err := json.MarshalIndent(e.Cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	want = append(want, '\n')
	have, err := os.ReadFile(path)
	switch {
	case err == nil && !e.Resume:
		return fmt.Errorf("--out %s already holds an exhaustive study: pass --resume to continue it or choose another folder", e.Dir)
	case err == nil && !bytes.Equal(have, want):
		return fmt.Errorf("--resume: %s holds another study (space, budget or seeds differ):\n%s", path, have)
	case err == nil:
		return nil
	case !os.IsNotExist(err):
		return err
	case e.Resume:
		return fmt.Errorf("--resume: %s: no exhaustive study there", e.Dir)
	}
	if err := os.MkdirAll(e.Dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return study.Write(exhaustiveFile, want)
}

// readResults parses results.jsonl; a damaged last line (a write cut short
// by a kill) is reported by bad = true and left out.
func readResults(dir string) (res []ArchResult, bad bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, resultsFile))
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	for i, line := range lines {
		if len(line) == 0 {
			continue
		}
		var r ArchResult
		if err := json.Unmarshal(line, &r); err != nil {
			if i == len(lines)-1 {
				return res, true, nil
			}
			return nil, false, fmt.Errorf("%s line %d: %w", filepath.Join(dir, resultsFile), i+1, err)
		}
		res = append(res, r)
	}
	return res, false, nil
}

// loadResults returns the finished (index, seed) pairs, checking that each
// line is the architecture its index says, and drops a damaged last line.
func (e *Exhaustive) loadResults(archs []space.Genotype) (map[string]bool, error) {
	res, bad, err := readResults(e.Dir)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	var keep []byte
	for _, r := range res {
		if r.Index < 0 || r.Index >= len(archs) || r.Genotype != archs[r.Index].String() {
			return nil, fmt.Errorf("%s: line for architecture %d holds genotype %s, not the space's", filepath.Join(e.Dir, resultsFile), r.Index, r.Genotype)
		}
		done[key(r.Index, r.Seed)] = true
		line, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(e.Dir, resultsFile), err)
		}
		keep = append(append(keep, line...), '\n')
	}
	if bad {
		e.Log.Warn("dropping a damaged last line of results.jsonl (a write cut short); that training is redone from its checkpoint")
		if err := atomicfile.Write(filepath.Join(e.Dir, resultsFile), keep); err != nil {
			return nil, err
		}
	}
	return done, nil
}

func (e *Exhaustive) appendResult(r ArchResult) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%s: architecture %d: %w", filepath.Join(e.Dir, resultsFile), r.Index, err)
	}
	f, err := os.OpenFile(filepath.Join(e.Dir, resultsFile), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadExhaustiveConfig reads a study folder's exhaustive.json.
func LoadExhaustiveConfig(dir string) (ExhaustiveConfig, error) {
	var c ExhaustiveConfig
	b, err := os.ReadFile(filepath.Join(dir, exhaustiveFile))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", filepath.Join(dir, exhaustiveFile), err)
	}
	return c, nil
}

// Entry is one architecture in a ranking.
type Entry struct {
	Rank     int       `json:"rank"` // 1 = lowest mean test error; ties share a rank
	Index    int       `json:"index"`
	Genotype string    `json:"genotype"`
	Seeds    []uint64  `json:"seeds"`
	Errors   []float64 `json:"test_errors"` // per seed, percent
	Mean     float64   `json:"mean_test_error"`
}

// Ranking reads a study's results and orders its architectures by mean test
// error over the seeds trained so far (ties keep index order and share the
// better rank).
func Ranking(dir string) ([]Entry, error) {
	res, _, err := readResults(dir)
	if err != nil {
		return nil, err
	}
	by := map[int]*Entry{}
	for _, r := range res {
		en := by[r.Index]
		if en == nil {
			en = &Entry{Index: r.Index, Genotype: r.Genotype}
			by[r.Index] = en
		}
		en.Seeds = append(en.Seeds, r.Seed)
		en.Errors = append(en.Errors, r.TestError)
	}
	out := make([]Entry, 0, len(by))
	for _, en := range by {
		var s float64
		for _, v := range en.Errors {
			s += v
		}
		en.Mean = s / float64(len(en.Errors))
		out = append(out, *en)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Mean != out[j].Mean {
			return out[i].Mean < out[j].Mean
		}
		return out[i].Index < out[j].Index
	})
	for i := range out {
		out[i].Rank = i + 1
		if i > 0 && out[i].Mean == out[i-1].Mean {
			out[i].Rank = out[i-1].Rank
		}
	}
	return out, nil
}

// RankOf finds genotype g of space sp in a ranking. Genotypes are compared
// as architectures (their one-hot α), so the order of the two pairs of a
// node does not matter, as it does not for the network.
func RankOf(ranking []Entry, sp space.Space, g space.Genotype) (Entry, error) {
	gn, gr, err := space.OneHot(sp, g)
	if err != nil {
		return Entry{}, err
	}
	for _, en := range ranking {
		h, err := space.Parse(en.Genotype)
		if err != nil {
			return Entry{}, err
		}
		hn, hr, err := space.OneHot(sp, h)
		if err != nil {
			return Entry{}, err
		}
		if sameRows(gn, hn) && sameRows(gr, hr) {
			return en, nil
		}
	}
	return Entry{}, fmt.Errorf("genotype %s is not among the %d architectures trained so far", g, len(ranking))
}

func sameRows(a, b [][]float64) bool {
	return slices.EqualFunc(a, b, func(x, y []float64) bool { return slices.Equal(x, y) })
}

// Summary is the ranking's spread, for reports.
type Summary struct {
	Architectures int     `json:"architectures"`
	BestError     float64 `json:"best_test_error"`
	MedianError   float64 `json:"median_test_error"`
	WorstError    float64 `json:"worst_test_error"`
}

// Summarize gives the best, median and worst mean test error of a ranking
// (zeros for an empty one).
func Summarize(ranking []Entry) Summary {
	s := Summary{Architectures: len(ranking)}
	if len(ranking) == 0 {
		return s
	}
	s.BestError, s.WorstError = ranking[0].Mean, ranking[len(ranking)-1].Mean
	n := len(ranking)
	if n%2 == 1 {
		s.MedianError = ranking[n/2].Mean
	} else {
		s.MedianError = (ranking[n/2-1].Mean + ranking[n/2].Mean) / 2
	}
	return s
}

// backendName names a kernels backend for provenance ("" when unset).
func backendName(k kernels.Backend) string {
	if k == nil {
		return ""
	}
	return k.Name()
}
