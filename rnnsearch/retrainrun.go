package rnnsearch

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"

	"github.com/rdarts/rdarts/corpus"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/rnnnet"
	"github.com/rdarts/rdarts/space"
)

// RetrainState is a retraining's checkpoint.gob: the loop's position, the
// metrics so far and the trainer's state.
type RetrainState struct {
	Pos     runfolder.Position
	History []RetrainMetrics
	Trainer rnnnet.TrainerState
}

// Retrainer is one retraining of a recurrent genotype on its run folder,
// with the life cycle of the searches: config.json, metrics.jsonl and
// checkpoint.gob after every epoch and on interruption (so that a killed
// retraining resumes bit-identically), result.json last.
type Retrainer struct {
	Cfg      RetrainConfig
	Dir      string
	Log      *slog.Logger
	Progress runfolder.Progress
	// StopAfter, if > 0, interrupts the run after that many steps (tests).
	StopAfter int
	// Force lets Start replace a folder that holds another run's files.
	Force bool

	backend string // for provenance.jsonl
	tr      *rnnnet.Trainer
	state   RetrainState
	result  *RetrainOutcome
	folder  *runfolder.Folder
}

// NewRetrainer loads the corpus and builds cfg's evaluation model for run
// folder dir; nothing is written yet.
func NewRetrainer(cfg RetrainConfig, dir string, k kernels.Backend, log *slog.Logger) (*Retrainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g, _ := space.ParseRNN(cfg.Genotype)
	c, err := corpus.Load(cfg.Data)
	if err != nil {
		return nil, err
	}
	for _, cut := range []struct {
		s *[]int32
		n int
	}{{&c.Train, cfg.TrainTokens}, {&c.Valid, cfg.ValidTokens}, {&c.Test, cfg.TestTokens}} {
		if cut.n > 0 && cut.n < len(*cut.s) {
			*cut.s = (*cut.s)[:cut.n]
		}
	}
	src := rand.NewPCG(cfg.Seed, 0x5eed)
	mc := rnnnet.EvalConfig(c.Vocab.Len())
	mc.Hidden = cfg.Hidden
	mc.DropOut, mc.DropH, mc.DropX, mc.DropI, mc.DropE = cfg.Dropout, cfg.DropoutH, cfg.DropoutX, cfg.DropoutI, cfg.DropoutE
	m, err := rnnnet.New(mc, &g, rand.New(src))
	if err != nil {
		return nil, err
	}
	tr, err := rnnnet.NewTrainer(m, c, rnnnet.TrainSettings{Batch: cfg.BatchSize, EvalBatch: cfg.EvalBatch, TestBatch: cfg.TestBatch,
		BPTT: cfg.BPTT, LR: cfg.LR, Clip: cfg.Clip, WD: none(cfg.WeightDecay), TAR: none(cfg.TAR), NonMono: cfg.NonMono}, k, src)
	if err != nil {
		return nil, err
	}
	return &Retrainer{Cfg: cfg, Dir: dir, Log: log, backend: k.Name(), tr: tr}, nil
}

// Retrain runs cfg's retraining in dir to the end and returns its
// outcome: from scratch, or resumed if dir holds it (a finished one is only
// read back).
func Retrain(ctx context.Context, cfg RetrainConfig, dir string, k kernels.Backend, log *slog.Logger) (RetrainOutcome, error) {
	r, err := NewRetrainer(cfg, dir, k, log)
	if err != nil {
		return RetrainOutcome{}, err
	}
	if err := r.Start(runfolder.Resumable(dir)); err != nil {
		return RetrainOutcome{}, err
	}
	if err := r.Run(ctx); err != nil {
		return RetrainOutcome{}, err
	}
	out, _ := r.Outcome()
	return out, nil
}

// none maps a setting of 0 to rnnnet's "none" (a negative value): rnnnet
// reads 0 as "the reference's value".
func none(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// Model is the retrained model.
func (r *Retrainer) Model() *rnnnet.Model { return r.tr.Model }

// Start takes the run folder: a new run, or with resume the saved one,
// which must have the settings of r.Cfg. A finished run writes any missing
// final file.
func (r *Retrainer) Start(resume bool) error {
	f, fromCheckpoint, err := provenance.Begin(r.Dir, r.Cfg, resume, r.Force, func() (any, error) { return LoadRetrainConfig(r.Dir) }, r.backend)
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

func (r *Retrainer) start(fromCheckpoint bool) error {
	if !fromCheckpoint {
		return runfolder.WriteJSONL(r.folder, runfolder.MetricsFile, r.state.History)
	}
	ck := r.folder.Path(runfolder.CheckpointFile)
	var st RetrainState
	if err := runfolder.LoadGob(ck, "checkpoint", &st); err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	if err := r.tr.Restore(st.Trainer); err != nil {
		return fmt.Errorf("--resume: %s: %w", ck, err)
	}
	r.state = st
	if err := runfolder.WriteJSONL(r.folder, runfolder.MetricsFile, r.state.History); err != nil {
		return err
	}
	if r.state.Pos.Done {
		return r.finish()
	}
	return nil
}

// Close releases the run folder. Run calls it when it returns.
func (r *Retrainer) Close() {
	r.folder.Release()
	r.folder = nil
}

// Run trains until the last epoch, an error or ctx's cancellation (then it
// checkpoints and returns runfolder.ErrInterrupted), then evaluates the
// best weights. It releases the run folder when it returns.
func (r *Retrainer) Run(ctx context.Context) error {
	defer r.Close()
	if r.folder == nil {
		return fmt.Errorf("rnnsearch: Run before Start")
	}
	if r.state.Pos.Done {
		return nil
	}
	return runfolder.Loop{Progress: r.Progress, StopAfter: r.StopAfter}.Run(ctx, retrainJob{r})
}

// retrainJob is the Retrainer as the epoch loop sees it.
type retrainJob struct{ r *Retrainer }

func (j retrainJob) Pos() *runfolder.Position { return &j.r.state.Pos }
func (j retrainJob) Epochs() int              { return j.r.Cfg.Epochs }
func (j retrainJob) Checkpoint() error        { return j.r.checkpoint() }
func (j retrainJob) EndEpoch(epoch int) error { return j.r.endEpoch(epoch) }

func (j retrainJob) Epoch(epoch int) (int, func(int) (float64, int, int, error), func()) {
	r := j.r
	// A new epoch unless a checkpoint holds one begun (its windows drawn,
	// perhaps none run yet: drawing again would change them).
	n, next := r.tr.Steps()
	if next == n {
		n = r.tr.BeginEpoch()
	}
	step := func(i int) (float64, int, int, error) {
		l, size, err := r.tr.Step()
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%w (%s, epoch %d, step %d)", err, r.Dir, epoch, i)
		}
		return l, 0, size, nil
	}
	return n, step, func() {}
}

func (r *Retrainer) checkpoint() error {
	st, err := r.tr.State()
	if err != nil {
		return err
	}
	r.state.Trainer = st
	return r.folder.SaveGob(runfolder.CheckpointFile, r.state)
}

// endEpoch validates, records the epoch and checkpoints; after the last
// it writes the final files.
func (r *Retrainer) endEpoch(epoch int) error {
	ep := r.tr.EndEpoch()
	m := RetrainMetrics{TrainEpoch: ep, TrainPPL: math.Exp(ep.TrainLoss), ValidPPL: math.Exp(ep.ValidLoss)}
	if ep.RolledBack { // the NaN/Inf loss is not a number JSON holds
		m.TrainLoss, m.TrainPPL = 0, 0
	}
	r.state.History = append(r.state.History, m)
	pos := &r.state.Pos
	pos.Epoch, pos.Step, pos.Sums, pos.Done = epoch+1, 0, runfolder.Sums{}, epoch == r.Cfg.Epochs-1
	r.Log.Info("epoch", "epoch", ep.Epoch, "train_ppl", fmt.Sprintf("%.2f", m.TrainPPL), "valid_ppl", fmt.Sprintf("%.2f", m.ValidPPL),
		"asgd", ep.Averaged, "rolled_back", ep.RolledBack)
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

// finish evaluates the best weights on the validation and test splits and
// writes result.json, which marks the run finished.
func (r *Retrainer) finish() error {
	vl, tl, err := r.tr.Final()
	if err != nil {
		return err
	}
	_, best := r.tr.Best()
	g, _ := space.ParseRNN(r.Cfg.Genotype)
	out := RetrainOutcome{Genotype: g.String(), BestEpoch: best, ValidLoss: vl, ValidPPL: math.Exp(vl), TestLoss: tl, TestPPL: math.Exp(tl)}
	r.result = &out
	return r.folder.WriteJSON(runfolder.ResultFile, out)
}

// Outcome is the finished retraining's result.
func (r *Retrainer) Outcome() (RetrainOutcome, bool) {
	if r.result == nil {
		return RetrainOutcome{}, false
	}
	return *r.result, true
}

// LoadRetrainConfig reads a retraining's config.json.
func LoadRetrainConfig(dir string) (RetrainConfig, error) {
	var c RetrainConfig
	err := runfolder.ReadJSON(runfolder.In(dir, runfolder.ConfigFile), &c)
	return c, err
}

// ReadRetrainMetrics reads a retraining's metrics.jsonl.
func ReadRetrainMetrics(dir string) ([]RetrainMetrics, error) {
	return runfolder.ReadJSONL[RetrainMetrics](runfolder.In(dir, runfolder.MetricsFile))
}

// ReadRetrainResult reads a finished retraining's result.json.
func ReadRetrainResult(dir string) (RetrainOutcome, error) {
	var o RetrainOutcome
	err := runfolder.ReadJSON(runfolder.In(dir, runfolder.ResultFile), &o)
	return o, err
}
