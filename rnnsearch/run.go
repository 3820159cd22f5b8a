package rnnsearch

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rdarts/rdarts/corpus"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/rnnnet"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
)

// Metrics is one epoch's record in metrics.jsonl.
type Metrics struct {
	Epoch     int         `json:"epoch"`
	LR        float64     `json:"lr"`
	TrainLoss float64     `json:"train_loss"` // mean NLL of the w windows (training mode)
	TrainPPL  float64     `json:"train_ppl"`
	AlphaLoss float64     `json:"alpha_loss"` // mean NLL of the α windows (training mode)
	ValidLoss float64     `json:"valid_loss"` // validation split, evaluation mode
	ValidPPL  float64     `json:"valid_ppl"`
	Genotype  string      `json:"genotype"`
	Alpha     [][]float64 `json:"alpha"` // softmax weights, one row per edge
	EV        *float64    `json:"ev,omitempty"`
	// Event is DARTS-ES' decision at this epoch, if any (search.Event:
	// es-stop, or es-would-stop with --es-simulate or method darts).
	Event   *search.Event `json:"event,omitempty"`
	Seconds float64       `json:"seconds"`
}

// Outcome is a finished search's result.json.
type Outcome struct {
	Space     string  `json:"space"` // "rnn"
	Method    string  `json:"method"`
	Epoch     int     `json:"epoch"` // the epoch whose genotype is the answer (DARTS-ES: the stop epoch)
	Genotype  string  `json:"genotype"`
	ValidLoss float64 `json:"valid_loss"`
	ValidPPL  float64 `json:"valid_ppl"`
}

// State is checkpoint.gob: the loop's position, the metrics so far and the
// search's state.
type State struct {
	Pos     runfolder.Position
	History []Metrics
	Search  rnnnet.SearchState
	ES      search.EarlyStopState
	Result  *Metrics // DARTS-ES' answer: the stop epoch's record
}

// Runner is one recurrent search run.
type Runner struct {
	Cfg      Config
	Dir      string
	Log      *slog.Logger
	Progress runfolder.Progress
	// StopAfter, if > 0, interrupts the run after that many steps (tests).
	StopAfter int
	// Force lets Start replace a folder that holds another run's files.
	Force bool

	k      kernels.Backend
	s      *rnnnet.Search
	es     *search.EarlyStop
	state  State
	folder *runfolder.Folder
}

// NewRunner loads the corpus and builds the one-shot model for cfg in run
// folder dir; nothing is written yet.
func NewRunner(cfg Config, dir string, k kernels.Backend, log *slog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := corpus.Load(cfg.Data)
	if err != nil {
		return nil, err
	}
	if cfg.TrainTokens > 0 && cfg.TrainTokens < len(c.Train) {
		c.Train = c.Train[:cfg.TrainTokens]
	}
	if cfg.ValidTokens > 0 && cfg.ValidTokens < len(c.Valid) {
		c.Valid = c.Valid[:cfg.ValidTokens]
	}
	src := rand.NewPCG(cfg.Seed, 0x5eed)
	mc := rnnnet.SearchConfig(c.Vocab.Len())
	mc.Hidden = cfg.Hidden
	mc.DropOut, mc.DropH, mc.DropX, mc.DropI, mc.DropE = cfg.Dropout, cfg.DropoutH, cfg.DropoutX, cfg.DropoutI, cfg.DropoutE
	m, err := rnnnet.New(mc, nil, rand.New(src))
	if err != nil {
		return nil, err
	}
	s, err := rnnnet.NewSearch(m, c, rnnnet.SearchSettings{
		Batch: cfg.BatchSize, EvalBatch: cfg.EvalBatch, BPTT: cfg.BPTT, LR: cfg.LR, Clip: cfg.Clip,
		WD: none(cfg.WeightDecay), ArchLR: cfg.ArchLR, ArchWD: none(cfg.ArchWeightDecay), TAR: none(cfg.TAR), Order: cfg.Order,
	}, k, src)
	if err != nil {
		return nil, err
	}
	es := &search.EarlyStop{Window: cfg.ES.Window, Delta: cfg.ES.Delta, Factor: cfg.ES.Factor, StartEpoch: cfg.ES.StartEpoch, Every: max(cfg.HessianEvery, 1)}
	return &Runner{Cfg: cfg, Dir: dir, Log: log, k: k, s: s, es: es}, nil
}

// Search is the run's search (its model, α and state).
func (r *Runner) Search() *rnnnet.Search { return r.s }

// Start takes the run folder: a new run, or with resume the saved one,
// which must have the settings of r.Cfg. A finished run writes any missing
// final file.
func (r *Runner) Start(resume bool) error {
	f, fromCheckpoint, err := provenance.Begin(r.Dir, r.Cfg, resume, r.Force, func() (any, error) { return LoadConfig(r.Dir) }, r.k.Name())
	if err != nil {
		return err
	}
	r.folder = f
	if err := r.start(fromCheckpoint); err != nil {
		r.Close()
		return err
	}
	return nil
}

func (r *Runner) start(fromCheckpoint bool) error {
	if !fromCheckpoint {
		return runfolder.WriteJSONL(r.folder, runfolder.MetricsFile, r.state.History)
	}
	ck := r.folder.Path(runfolder.CheckpointFile)
	var st State
	if err := runfolder.LoadGob(ck, "checkpoint", &st); err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	if err := r.s.Restore(st.Search); err != nil {
		return fmt.Errorf("--resume: %s: %w", ck, err)
	}
	r.state = st
	r.es.SetState(st.ES)
	if err := runfolder.WriteJSONL(r.folder, runfolder.MetricsFile, r.state.History); err != nil {
		return err
	}
	if r.state.Pos.Done {
		return r.finish()
	}
	return nil
}

// Close releases the run folder. Run calls it when it returns.
func (r *Runner) Close() {
	r.folder.Release()
	r.folder = nil
}

// Run searches until the last epoch, an error or ctx's cancellation (then
// it checkpoints and returns runfolder.ErrInterrupted). It releases the run
// folder when it returns.
func (r *Runner) Run(ctx context.Context) error {
	defer r.Close()
	if r.folder == nil {
		return fmt.Errorf("rnnsearch: Run before Start")
	}
	return runfolder.Loop{Progress: r.Progress, StopAfter: r.StopAfter}.Run(ctx, job{r})
}

// job is the Runner as the epoch loop sees it.
type job struct{ r *Runner }

func (j job) Pos() *runfolder.Position { return &j.r.state.Pos }
func (j job) Epochs() int              { return j.r.Cfg.Epochs }
func (j job) Checkpoint() error        { return j.r.checkpoint() }
func (j job) EndEpoch(epoch int) error { return j.r.endEpoch(epoch) }

func (j job) Epoch(epoch int) (int, func(int) (float64, int, int, error), func()) {
	r := j.r
	// A new epoch unless a checkpoint holds one begun (its windows drawn,
	// perhaps none run yet: drawing again would change them).
	n, next := r.s.Steps()
	if next == n {
		n = r.s.BeginEpoch()
	}
	step := func(i int) (float64, int, int, error) {
		st, err := r.s.Step()
		if err != nil {
			return 0, 0, 0, runfolder.Diverged("the loss", epoch, i, r.Dir, "lower --lr")
		}
		return st.TrainLoss, 0, st.N, nil
	}
	return n, step, func() {}
}

func (r *Runner) checkpoint() error {
	st, err := r.s.State()
	if err != nil {
		return err
	}
	r.state.Search = st
	r.state.ES = r.es.State()
	return r.folder.SaveGob(runfolder.CheckpointFile, r.state)
}

// endEpoch records the epoch: its losses, the validation perplexity, the
// genotype, α and (every HessianEvery epochs) the dominant eigenvalue;
// then the checkpoint and the logs, and the final files after the last.
func (r *Runner) endEpoch(epoch int) error {
	start := time.Now()
	last := epoch == r.Cfg.Epochs-1
	st := r.s.EndEpoch()
	pos := &r.state.Pos
	m := Metrics{Epoch: epoch, LR: r.Cfg.LR, TrainLoss: st.TrainLoss, TrainPPL: math.Exp(st.TrainLoss), AlphaLoss: st.ValidLoss}
	if k := r.Cfg.HessianEvery; k > 0 && (epoch%k == 0 || last) {
		model := r.s.Model
		res, err := model.DominantEigenvalue(r.k, r.s.EigenBatch(uint64(epoch)), r.Cfg.ArchWeightDecay, uint64(epoch))
		if err != nil {
			return fmt.Errorf("epoch %d: eigenvalue: %w", epoch, err)
		}
		m.EV = &res.Value
	}
	m.ValidLoss = r.s.Validate()
	m.ValidPPL = math.Exp(m.ValidLoss)
	if key, ok := runfolder.NonFinite(m); ok && key != "valid_loss" && key != "valid_ppl" {
		return runfolder.Diverged(key, epoch, -1, r.Dir, "lower --lr")
	}
	m.Genotype = r.s.Model.Derive().String()
	m.Alpha = alphaRows(r.s.Model)
	m.Seconds = pos.Sums.Seconds + time.Since(start).Seconds()
	stopped := false
	if m.EV != nil {
		if last {
			r.es.Finish(epoch, *m.EV)
		} else if stop, stopEpoch := r.es.Observe(epoch, *m.EV); stop {
			kind := search.EventESWouldStop
			if r.Cfg.Method == "darts-es" && !r.Cfg.ESSimulate {
				kind, stopped = search.EventESStop, true
			}
			m.Event = &search.Event{Kind: kind, Epoch: stopEpoch}
		}
	}
	r.state.History = append(r.state.History, m)
	pos.Epoch, pos.Step, pos.Sums, pos.Done = epoch+1, 0, runfolder.Sums{}, last || stopped
	if stopped {
		for _, h := range r.state.History {
			if h.Epoch == m.Event.Epoch {
				h := h
				r.state.Result = &h
			}
		}
	}
	args := []any{"epoch", epoch, "train_ppl", fmt.Sprintf("%.2f", m.TrainPPL), "valid_ppl", fmt.Sprintf("%.2f", m.ValidPPL)}
	if m.EV != nil {
		args = append(args, "ev", fmt.Sprintf("%.5g", *m.EV))
	}
	if m.Event != nil {
		args = append(args, "event", m.Event.Kind, "event_epoch", m.Event.Epoch)
	}
	r.Log.Info("epoch", append(args, "genotype", m.Genotype)...)
	if err := r.checkpoint(); err != nil {
		return err
	}
	if err := runfolder.WriteJSONL(r.folder, runfolder.MetricsFile, r.state.History); err != nil {
		return err
	}
	if pos.Done {
		return r.finish()
	}
	return nil
}

// alphaRows is softmax(α), one row per edge.
func alphaRows(m *rnnnet.Model) [][]float64 {
	k := len(space.RNNOps())
	a := m.Alpha.Value.Data
	rows := make([][]float64, len(a)/k)
	for e := range rows {
		row := make([]float64, k)
		mx := math.Inf(-1)
		for j := range row {
			mx = max(mx, float64(a[e*k+j]))
		}
		var s float64
		for j := range row {
			row[j] = math.Exp(float64(a[e*k+j]) - mx)
			s += row[j]
		}
		for j := range row {
			row[j] /= s
		}
		rows[e] = row
	}
	return rows
}

// Outcome is the finished run's answer: the genotype of the epoch DARTS-ES
// stopped at, or of the last epoch.
func (r *Runner) Outcome() (Outcome, bool) {
	h := r.state.History
	if len(h) == 0 || !r.state.Pos.Done {
		return Outcome{}, false
	}
	m := h[len(h)-1]
	if r.state.Result != nil {
		m = *r.state.Result
	}
	return Outcome{Space: "rnn", Method: r.Cfg.Method, Epoch: m.Epoch, Genotype: m.Genotype, ValidLoss: m.ValidLoss, ValidPPL: m.ValidPPL}, true
}

// finish writes genotype.txt, then result.json, which marks the run finished.
func (r *Runner) finish() error {
	res, ok := r.Outcome()
	if !ok {
		return fmt.Errorf("rnnsearch: finish before the run is done")
	}
	if err := r.folder.Write(runfolder.GenotypeFile, []byte(res.Genotype+"\n")); err != nil {
		return err
	}
	return r.folder.WriteJSON(runfolder.ResultFile, res)
}

// LoadConfig reads a run's config.json.
func LoadConfig(dir string) (Config, error) {
	var c Config
	err := runfolder.ReadJSON(runfolder.In(dir, runfolder.ConfigFile), &c)
	return c, err
}

// ReadMetrics reads a run's metrics.jsonl.
func ReadMetrics(dir string) ([]Metrics, error) {
	return runfolder.ReadJSONL[Metrics](runfolder.In(dir, runfolder.MetricsFile))
}

// ReadResult reads a finished run's result.json.
func ReadResult(dir string) (Outcome, error) {
	var o Outcome
	err := runfolder.ReadJSON(runfolder.In(dir, runfolder.ResultFile), &o)
	return o, err
}
