package search

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/optim"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/supernet"
	"github.com/rdarts/rdarts/tensor"
)

// ErrInterrupted is returned when a run stopped on request after writing a
// checkpoint; --resume continues it.
var ErrInterrupted = runfolder.ErrInterrupted

// ErrDiverged is wrapped by the error of a run in which a quantity became
// NaN or Inf.
var ErrDiverged = runfolder.ErrDiverged

// Progress receives step-level progress; nil means none.
type Progress = runfolder.Progress

// Runner is one search run: configuration, data, the bilevel optimiser,
// the method and the run folder.
type Runner struct {
	Cfg      Config
	Dir      string
	Log      *slog.Logger
	Progress Progress
	// StopAfter, if > 0, makes the run return ErrInterrupted after that many
	// steps (tests use it to stop at a precise point).
	StopAfter int
	// Force lets Start replace a folder that holds another run's files.
	Force bool

	b                   *Bilevel
	sp                  space.Space
	train, valid, infer data.Loader
	es                  *EarlyStop
	method              Method
	state               State
	backend             string // the kernels backend, for provenance
	folder              *runfolder.Folder
	opened              string // the checkpoint Open loaded
}

// NewRunner loads the data and builds the network for cfg in run folder
// dir; it refuses settings that are invalid or need more memory than the
// machine has, before anything is written.
func NewRunner(cfg Config, dir string, k kernels.Backend, log *slog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sp, _ := space.Get(cfg.Space)
	ds, err := data.Load(cfg.Dataset, cfg.Data, true)
	if err != nil {
		return nil, err
	}
	trainSet, validSet, err := data.SearchSplit(ds, cfg.TrainSize)
	if err != nil {
		return nil, err
	}
	if cfg.BatchSize > trainSet.Len() {
		return nil, fmt.Errorf("--batch-size: %d is more than the %d images of the training half", cfg.BatchSize, trainSet.Len())
	}
	if err := runfolder.CheckMemory(SearchBytes(sp, cfg, ds.C, ds.H, ds.W), fmt.Sprintf("the one-shot network (--layers %d, --init-channels %d, --batch-size %d)", cfg.Layers, cfg.Channels, cfg.BatchSize)); err != nil {
		return nil, err
	}
	// Cutout only with drop path, as the reference's Helper forces (RS-ws,
	// which drops no path, has none).
	tf, err := data.TrainTransform(cfg.Dataset, cfg.Cutout && cfg.DropPath > 0 && cfg.Method != "rs-ws")
	if err != nil {
		return nil, err
	}
	net, err := supernet.New(supernet.Config{Space: sp, InChannels: ds.C, Classes: ds.Classes, C: cfg.Channels, Layers: cfg.Layers, Init: cfg.Init}, cfg.Seed)
	if err != nil {
		return nil, err
	}
	r := &Runner{Cfg: cfg, Dir: dir, Log: log, sp: sp, b: NewBilevel(net, k, cfg), backend: k.Name()}
	r.train = data.Loader{Data: trainSet, BatchSize: cfg.BatchSize, Shuffle: true, Transform: tf, Seed: cfg.Seed, Stream: 1}
	r.valid = data.Loader{Data: validSet, BatchSize: cfg.BatchSize, Transform: tf, Seed: cfg.Seed, Stream: 2}
	// The reference validates on the α half with the training transform.
	r.infer = data.Loader{Data: validSet, BatchSize: cfg.BatchSize, Transform: tf, Seed: cfg.Seed, Stream: 3}
	r.es = r.newEarlyStop()
	r.state = State{Version: stateVersion, ADA: Adaptive{R: cfg.WeightDecay, Factor: cfg.ADA.Factor, Max: cfg.ADA.Max}}
	if r.method, err = NewMethod(cfg, &r.state.ADA); err != nil {
		return nil, err
	}
	r.b.Discrete = r.method.Name() == RandomWS{}.Name()
	return r, nil
}

func (r *Runner) newEarlyStop() *EarlyStop {
	c := r.Cfg.ES
	return &EarlyStop{Window: c.Window, Delta: c.Delta, Factor: c.Factor, StartEpoch: c.StartEpoch, Every: max(r.Cfg.HessianEvery, 1)}
}

// Network exposes the one-shot model.
func (r *Runner) Network() *supernet.Network { return r.b.Net }

// Bilevel exposes the optimiser, e.g. for the Hessian of a loaded checkpoint.
func (r *Runner) Bilevel() *Bilevel { return r.b }

// Done reports whether the run has finished.
func (r *Runner) Done() bool { return r.state.Pos.Done }

// Start takes the run folder's lock and prepares it (runfolder.Begin):
// a new run, or with resume the saved one, which must have the settings of
// r.Cfg. A resumed run without a checkpoint starts at epoch 0; a finished
// one writes any missing final file. Each start and resume adds a record
// to the folder's provenance.jsonl.
func (r *Runner) Start(resume bool) error {
	f, fromCheckpoint, err := provenance.Begin(r.Dir, r.Cfg, resume, r.Force, func() (any, error) { return LoadConfig(r.Dir) }, r.backend)
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
		return r.writeLogs()
	}
	ck := r.folder.Path(runfolder.CheckpointFile)
	s, err := LoadState(ck)
	if err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	if err := r.b.restore(s); err != nil {
		return fmt.Errorf("--resume: %s: %w", ck, err)
	}
	r.state = s
	r.es.SetState(s.ES)
	r.b.SGD.WeightDecay = s.ADA.R
	if err := r.writeLogs(); err != nil {
		return err
	}
	if r.state.Pos.Done {
		return r.finish() // a run killed while writing its final files
	}
	return nil
}

// Close releases the run folder. Run calls it when it returns.
func (r *Runner) Close() {
	r.folder.Release()
	r.folder = nil
}

// writeLogs makes metrics.jsonl and eigen.jsonl hold exactly the state's
// history (a resumed run drops what a killed run wrote after its last
// checkpoint).
func (r *Runner) writeLogs() error {
	var eig []EigenRecord
	for _, m := range r.state.History {
		if m.Eigen != nil {
			eig = append(eig, EigenRecord{Epoch: m.Epoch, Iteration: m.Iteration, Eigen: *m.Eigen})
		}
	}
	if err := runfolder.WriteJSONL(r.folder, runfolder.EigenFile, eig); err != nil {
		return err
	}
	return runfolder.WriteJSONL(r.folder, runfolder.MetricsFile, r.state.History)
}

// capture is the full state at the current position.
func (r *Runner) capture() State {
	s := r.b.capture()
	s.Pos, s.History, s.Result = r.state.Pos, r.state.History, r.state.Result
	s.ES, s.ADA = r.es.State(), r.state.ADA
	return s
}

// LR is the cosine learning rate of an epoch.
func (r *Runner) LR(epoch int) float64 {
	return optim.Cosine(epoch, r.Cfg.Epochs, r.Cfg.LR, r.Cfg.LRMin)
}

// DropPath is ScheduledDropPath's probability at an epoch: p·e/(E−1).
func (r *Runner) DropPath(epoch int) float64 {
	if r.Cfg.Epochs < 2 {
		return 0
	}
	return r.Cfg.DropPath * float64(epoch) / float64(r.Cfg.Epochs-1)
}

func toBatch(b *data.Batch) Batch {
	return Batch{X: tensor.From(b.X, b.N, b.C, b.H, b.W), Y: b.Y}
}

// Run searches until the last epoch, a DARTS-ES stop, an error or ctx's
// cancellation (then it checkpoints and returns ErrInterrupted). It
// releases the run folder when it returns.
func (r *Runner) Run(ctx context.Context) error {
	defer r.Close()
	if r.folder == nil {
		return fmt.Errorf("search: Run before Start")
	}
	return runfolder.Loop{Progress: r.Progress, StopAfter: r.StopAfter}.Run(ctx, loopJob{r})
}

// loopJob is the Runner as the epoch loop sees it.
type loopJob struct{ r *Runner }

func (j loopJob) Pos() *runfolder.Position { return &j.r.state.Pos }
func (j loopJob) Epochs() int              { return j.r.Cfg.Epochs }
func (j loopJob) Checkpoint() error        { return j.r.checkpoint() }
func (j loopJob) EndEpoch(epoch int) error { return j.r.endEpoch(epoch) }

func (j loopJob) Epoch(epoch int) (int, func(int) (float64, int, int, error), func()) {
	r := j.r
	steps := r.train.Steps()
	lr, dp := r.LR(epoch), r.DropPath(epoch)
	tr := data.Iterate(r.train.Epoch(epoch), r.state.Pos.Step, 2)
	va := data.Iterate(r.valid.Draws(epoch, steps), r.state.Pos.Step, 2)
	step := func(i int) (float64, int, int, error) {
		tb, _ := tr.Next()
		vb, _ := va.Next()
		var res Result
		if r.b.Discrete {
			res = r.randomStep(toBatch(tb), lr, epoch, i)
		} else {
			res = r.b.Step(toBatch(tb), toBatch(vb), lr, dp, epoch, i)
		}
		return res.Loss, res.Correct, res.N, r.checkFinite(res.Loss, epoch, i)
	}
	return steps, step, func() { tr.Close(); va.Close() }
}

// checkpoint saves the state at the current position.
func (r *Runner) checkpoint() error {
	return r.folder.SaveGob(runfolder.CheckpointFile, r.capture())
}

// checkFinite stops the run on a NaN or Inf in the loss, w or α.
func (r *Runner) checkFinite(loss float64, epoch, step int) error {
	what := ""
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		what = "the training loss"
	}
	for _, a := range r.b.Net.Alphas() {
		if what == "" && a.Value.HasNaN() {
			what = "α"
		}
	}
	if what == "" {
		what = r.b.Net.W.NonFinite()
	}
	if what == "" {
		return nil
	}
	return r.diverged(what, epoch, step)
}

func (r *Runner) diverged(what string, epoch, step int) error {
	return runfolder.Diverged(what, epoch, step, r.Dir, "try a lower --lr or --arch-lr")
}

// softmaxRows turns α logits into the mixing weights for the log.
func softmaxRows(v *autograd.Var) [][]float64 {
	rows := supernet.AlphaRows(v)
	for _, row := range rows {
		m := math.Inf(-1)
		for _, x := range row {
			m = math.Max(m, x)
		}
		var s float64
		for j, x := range row {
			row[j] = math.Exp(x - m)
			s += row[j]
		}
		for j := range row {
			row[j] /= s
		}
	}
	return rows
}

// validate runs the whole α half in eval mode; RS-ws scores a fixed
// panel of random architectures instead (validateRandomWS).
func (r *Runner) validate(epoch int) (loss, acc float64) {
	if r.b.Discrete {
		return r.validateRandomWS(epoch)
	}
	loss, acc, _ = r.evaluateSplit(r.infer, epoch, false)
	return loss, acc
}

// endEpoch does the end-of-epoch work: eigenvalue, validation, genotype,
// the method's decision, then the files — the per-epoch checkpoint before
// the main one, so a kill between them never loses a rollback target.
func (r *Runner) endEpoch(epoch int) error {
	start := time.Now()
	last := epoch == r.Cfg.Epochs-1
	lr, dp := r.LR(epoch), r.DropPath(epoch)
	pos := &r.state.Pos
	m := Metrics{Epoch: epoch, Iteration: r.state.ADA.Increases, LR: lr, WeightDecay: r.b.SGD.WeightDecay, DropPath: dp}
	m.TrainLoss, m.TrainAcc = pos.Sums.MeanLoss(), pos.Sums.Accuracy()
	if k := r.Cfg.HessianEvery; k > 0 && (epoch%k == 0 || last) && !r.b.Discrete {
		// The batch of the epoch's last α step, as the reference.
		var vb data.Batch
		r.valid.RandomBatch(epoch, r.train.Steps()-1, &vb)
		eig, err := r.b.DominantEigenvalue(toBatch(&vb), dp, r.Cfg.ArchWeightDecay, epoch, r.Cfg.HessianExact, 10)
		if err != nil {
			return fmt.Errorf("epoch %d: eigenvalue: %w", epoch, err)
		}
		m.EV, m.Eigen = &eig.Value, &eig
	}
	m.ValidLoss, m.ValidAcc = r.validate(epoch)
	if key, ok := runfolder.NonFinite(m); ok {
		return r.diverged(key, epoch, -1)
	}
	m.Genotype = r.b.Net.Genotype().String()
	m.AlphaNormal, m.AlphaReduce = softmaxRows(r.b.Net.AlphaNormal), softmaxRows(r.b.Net.AlphaReduce)
	m.Seconds = pos.Sums.Seconds + time.Since(start).Seconds()

	d := Decision{Action: Continue}
	if m.EV != nil {
		if last {
			r.es.Finish(epoch, *m.EV)
		} else if stop, stopEpoch := r.es.Observe(epoch, *m.EV); stop {
			d = r.method.Fired(stopEpoch)
			m.Event = &d.Event
		}
	}
	r.state.History = append(r.state.History, m)
	if r.b.Discrete && last {
		sel := r.selectRandomWS()
		r.state.Result = &sel
	}
	pos.Epoch, pos.Step, pos.Sums, pos.Done = epoch+1, 0, runfolder.Sums{}, last
	r.logEpoch(m)
	switch d.Action {
	case Rollback:
		return r.rollback(d.Event.Epoch)
	case Stop:
		pos.Done = true
		r.state.Result = r.record(d.Event.Epoch)
	}
	if err := r.epochCheckpoints(epoch); err != nil {
		return err
	}
	if err := r.checkpoint(); err != nil {
		return err
	}
	if err := r.writeLogs(); err != nil {
		return err
	}
	if pos.Done {
		return r.finish()
	}
	return nil
}

func (r *Runner) logEpoch(m Metrics) {
	args := []any{"epoch", m.Epoch, "lr", fmt.Sprintf("%.5g", m.LR), "train_acc", fmt.Sprintf("%.2f", m.TrainAcc), "valid_acc", fmt.Sprintf("%.2f", m.ValidAcc)}
	if m.EV != nil {
		args = append(args, "ev", fmt.Sprintf("%.5g", *m.EV))
	}
	if m.Event != nil {
		args = append(args, "event", m.Event.Kind, "event_epoch", m.Event.Epoch)
	}
	r.Log.Info("epoch", append(args, "genotype", m.Genotype)...)
}

// record is the latest record of an epoch in the history.
func (r *Runner) record(epoch int) *Metrics {
	h := r.state.History
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Epoch == epoch {
			m := h[i]
			return &m
		}
	}
	return nil
}

// epochCheckpoints writes the per-epoch checkpoint DARTS-ADA may roll back
// to (or every one, with KeepCheckpoints) and removes those no rollback
// can reach any more. A rollback targets an epoch ≥ the rule's start
// epoch; after a rollback the run repeats epochs, so every such epoch stays
// a possible target until the schedule is final.
func (r *Runner) epochCheckpoints(epoch int) error {
	ada, isADA := r.method.(DARTSADA)
	canRollback := isADA && !ada.Schedule.Final()
	if r.Cfg.KeepCheckpoints || (canRollback && epoch >= r.Cfg.ES.StartEpoch) {
		if err := r.folder.SaveGob(runfolder.EpochCheckpoint(epoch), r.capture()); err != nil {
			return err
		}
	}
	if isADA && !canRollback && !r.Cfg.KeepCheckpoints {
		for e := 0; e <= epoch; e++ {
			if err := r.folder.Remove(runfolder.EpochCheckpoint(e)); err != nil {
				return err
			}
		}
	}
	return nil
}

// rollback is DARTS-ADA's restart: back to the checkpoint of the stop
// epoch with the increased weight decay, continuing from the next epoch.
// Unlike the reference, the eigenvalue history is cut back to the stop
// epoch and the second-order step uses the new decay.
func (r *Runner) rollback(stopEpoch int) error {
	s, err := LoadState(r.folder.Path(runfolder.EpochCheckpoint(stopEpoch)))
	if err != nil {
		return fmt.Errorf("DARTS-ADA rollback to epoch %d: %w", stopEpoch, err)
	}
	if err := r.b.restore(s); err != nil {
		return err
	}
	ada, history := r.state.ADA, r.state.History // the full log, discarded epochs included
	r.state = s
	r.state.History, r.state.ADA = history, ada
	r.b.SGD.WeightDecay = ada.R
	r.es.SetState(s.ES)
	r.es.TruncateTo(stopEpoch)
	r.Log.Info("DARTS-ADA rollback", "to_epoch", stopEpoch, "weight_decay", ada.R)
	if err := r.checkpoint(); err != nil {
		return err
	}
	return r.writeLogs()
}

// Final is the run's answer: the genotype and validation accuracy of the
// epoch DARTS-ES stopped at, RS-ws' selection, or the last epoch.
func (r *Runner) Final() (Metrics, bool) {
	if r.state.Result != nil {
		return *r.state.Result, true
	}
	h := r.state.History
	if len(h) == 0 {
		return Metrics{}, false
	}
	return h[len(h)-1], true
}

// Outcome is the run's result.json record.
func (r *Runner) Outcome() (Outcome, bool) {
	m, ok := r.Final()
	if !ok || !r.state.Pos.Done {
		return Outcome{}, false
	}
	res := Outcome{Method: r.Cfg.Method, Epoch: m.Epoch, Genotype: m.Genotype, ValidAcc: m.ValidAcc, ValidError: 100 - m.ValidAcc,
		Split: Split{WImages: r.train.Data.Len(), AlphaEnd: r.train.Data.Len() + r.valid.Data.Len()}}
	if last := r.state.History[len(r.state.History)-1]; last.Event != nil && last.Event.Kind == EventESStop {
		res.Event = last.Event
	} else if m.Event != nil && m.Event.Kind == EventRSSelect {
		res.Event = m.Event
	}
	return res, true
}

// finish writes the final files: genotype.txt, then result.json, whose
// presence marks the run finished.
func (r *Runner) finish() error {
	res, ok := r.Outcome()
	if !ok {
		return fmt.Errorf("search: finish before the run is done")
	}
	if err := r.folder.Write(runfolder.GenotypeFile, []byte(res.Genotype+"\n")); err != nil {
		return err
	}
	if err := r.folder.WriteJSON(runfolder.ResultFile, res); err != nil {
		return err
	}
	// Per-epoch checkpoints only DARTS-ADA needed go with the run's end.
	if _, isADA := r.method.(DARTSADA); isADA && !r.Cfg.KeepCheckpoints {
		ents, _ := os.ReadDir(r.Dir)
		for _, e := range ents {
			var ep int
			if _, err := fmt.Sscanf(e.Name(), "checkpoint_%d.gob", &ep); err == nil {
				os.Remove(filepath.Join(r.Dir, e.Name()))
			}
		}
	}
	return nil
}
