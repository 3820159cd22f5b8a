package search

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/rdarts/rdarts/data"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/rdarts/rdarts/internal/kernels"
)

// LoadConfig reads a run folder's config.json over the defaults.
func LoadConfig(dir string) (Config, error) {
	c := Defaults()
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return c, fmt.Errorf("%s is not a search run folder: %w", dir, err)
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s/config.json: %w", dir, err)
	}
	return c, nil
}

// ReadMetrics reads a run's metrics.jsonl. DARTS-ADA appends the epochs it
// rolls back over; with latest only the last record of each epoch is kept,
// in epoch order. A torn last line (a killed writer) is ignored.
func ReadMetrics(dir string, latest bool) ([]Metrics, error) {
	f, err := os.Open(filepath.Join(dir, metricsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var all []Metrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return all, fmt.Errorf("%s/%s line %d: %w", dir, metricsFile, line, err)
		}
		all = append(all, m)
	}
	if err := sc.Err(); err != nil {
		return all, err
	}
	if !latest {
		return all, nil
	}
	byEpoch := map[int]Metrics{}
	last := -1
	for _, m := range all {
		byEpoch[m.Epoch] = m
		last = max(last, m.Epoch)
	}
	var out []Metrics
	for e := 0; e <= last; e++ {
		if m, ok := byEpoch[e]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// ESResult is the DARTS-ES rule applied offline to a finished run.
type ESResult struct {
	Stopped   bool    `json:"stopped"`
	DecidedAt int     `json:"decided_at,omitempty"` // epoch whose eigenvalue fired the rule
	StopEpoch int     `json:"stop_epoch,omitempty"` // epoch whose architecture is returned
	Genotype  string  `json:"genotype,omitempty"`
	ValidAcc  float64 `json:"valid_acc,omitempty"`
	EVs       int     `json:"evs"`
}

// AnalyzeES applies the DARTS-ES rule (with the run's own constants) to the
// eigenvalues of a run's metrics.jsonl, as RD:plots/increasing_eigens.py
// does; for a DARTS-ES run it names the epoch the run itself stopped at.
func AnalyzeES(dir string) (ESResult, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return ESResult{}, err
	}
	ms, err := ReadMetrics(dir, true)
	if err != nil {
		return ESResult{}, err
	}
	var evs []EpochEV
	for _, m := range ms {
		if m.EV != nil {
			evs = append(evs, EpochEV{Epoch: m.Epoch, EV: *m.EV})
		}
	}
	res := ESResult{EVs: len(evs)}
	if len(evs) == 0 {
		return res, fmt.Errorf("%s: metrics.jsonl has no eigenvalues (run the search with --hessian-every)", dir)
	}
	rule := &EarlyStop{Window: cfg.ES.Window, Delta: cfg.ES.Delta, Factor: cfg.ES.Factor, StartEpoch: cfg.ES.StartEpoch, Every: max(cfg.HessianEvery, 1)}
	decided, stop, ok := StopEpoch(evs, cfg.Epochs-1, rule)
	if !ok {
		return res, nil
	}
	res.Stopped, res.DecidedAt, res.StopEpoch = true, decided, stop
	for _, m := range ms {
		if m.Epoch == stop {
			res.Genotype, res.ValidAcc = m.Genotype, m.ValidAcc
		}
	}
	return res, nil
}

// OpenRun rebuilds a run's searcher from its folder and loads the state at
// the end of epoch (−1: the latest checkpoint).
func OpenRun(dir string, epoch int, k kernels.Backend, log *slog.Logger) (*Runner, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r, err := NewRunner(cfg, dir, k, log)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, stateFile)
	if epoch >= 0 {
		path = r.epochCheckpoint(epoch)
	}
	s, err := LoadState(path)
	if err != nil {
		if epoch >= 0 {
			return nil, fmt.Errorf("epoch %d: %w (keep every epoch with search --keep-checkpoints)", epoch, err)
		}
		return nil, err
	}
	if epoch < 0 && s.Step != 0 {
		return nil, fmt.Errorf("%s: the latest checkpoint is in the middle of epoch %d; resume the run first or pass --epoch", dir, s.Epoch)
	}
	if err := r.b.restore(s); err != nil {
		return nil, err
	}
	r.state = s
	return r, nil
}

// Epoch is the last finished epoch of a loaded run.
func (r *Runner) Epoch() int { return r.state.Epoch - 1 }

// Hessian recomputes the eigen-analysis of a loaded run at its epoch, on
// the same batch the search used (the last α batch of the epoch).
func (r *Runner) Hessian(exact bool, topK int) (Eigen, error) {
	epoch := r.Epoch()
	if epoch < 0 {
		return Eigen{}, fmt.Errorf("no finished epoch to analyse")
	}
	var vb data.Batch
	r.valid.RandomBatch(epoch, r.train.Steps()-1, &vb)
	return r.b.DominantEigenvalue(toBatch(&vb), r.DropPath(epoch), r.Cfg.ArchWeightDecay, epoch, exact, topK)
}
