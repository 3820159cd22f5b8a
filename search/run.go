package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/optim"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/supernet"
	"github.com/rdarts/rdarts/tensor"
)

// Metrics is one epoch's record in metrics.jsonl. Accuracies are percent.
type Metrics struct {
	Epoch       int         `json:"epoch"`
	Iteration   int         `json:"iteration"` // DARTS-ADA restarts so far
	LR          float64     `json:"lr"`
	WeightDecay float64     `json:"weight_decay"`
	DropPath    float64     `json:"drop_path"`
	TrainLoss   float64     `json:"train_loss"`
	TrainAcc    float64     `json:"train_acc"`
	ValidLoss   float64     `json:"valid_loss"`
	ValidAcc    float64     `json:"valid_acc"`
	Genotype    string      `json:"genotype"`
	AlphaNormal [][]float64 `json:"alpha_normal"` // softmax weights
	AlphaReduce [][]float64 `json:"alpha_reduce"`
	EV          *float64    `json:"ev,omitempty"`
	Eigen       *Eigen      `json:"eigen,omitempty"`
	Event       string      `json:"event,omitempty"` // es-stop, es-would-stop, ada-rollback
	Seconds     float64     `json:"seconds"`
}

// ErrInterrupted is returned when a run stopped on request after writing a
// checkpoint; --resume continues it.
var ErrInterrupted = errors.New("interrupted; checkpoint written, continue with --resume")

// Progress receives step-level progress; nil means none.
type Progress interface {
	StartEpoch(epoch, epochs, steps, done int)
	Step(step int, loss, acc float64)
	EndEpoch()
}

// Runner is one search run: configuration, data, the bilevel optimiser and
// the run folder.
type Runner struct {
	Cfg      Config
	Dir      string
	Log      *slog.Logger
	Progress Progress
	// StopAfter, if > 0, makes the run return ErrInterrupted after that many
	// steps (tests use it to stop at a precise point).
	StopAfter int

	b                   *Bilevel
	sp                  space.Space
	train, valid, infer data.Loader
	es                  *EarlyStop
	state               State
}

const (
	stateFile   = "checkpoint.gob"
	metricsFile = "metrics.jsonl"
	eigenFile   = "eigen.jsonl"
)

// NewRunner loads the data and builds the network for cfg in run folder dir.
func NewRunner(cfg Config, dir string, k kernels.Backend, log *slog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
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
	norm, err := data.NormFor(cfg.Dataset)
	if err != nil {
		return nil, err
	}
	// Cutout only with drop path, as the reference's Helper forces.
	tf := data.StandardTrain(norm, cfg.Cutout && cfg.DropPath > 0)
	net, err := supernet.New(supernet.Config{Space: sp, InChannels: ds.C, Classes: ds.Classes, C: cfg.Channels, Layers: cfg.Layers}, cfg.Seed)
	if err != nil {
		return nil, err
	}
	r := &Runner{Cfg: cfg, Dir: dir, Log: log, sp: sp, b: NewBilevel(net, k, cfg)}
	r.train = data.Loader{Data: trainSet, BatchSize: cfg.BatchSize, Shuffle: true, Transform: tf, Seed: cfg.Seed, Stream: 1}
	r.valid = data.Loader{Data: validSet, BatchSize: cfg.BatchSize, Transform: tf, Seed: cfg.Seed, Stream: 2}
	// The reference validates on the α half with the training transform.
	r.infer = data.Loader{Data: validSet, BatchSize: cfg.BatchSize, Transform: tf, Seed: cfg.Seed, Stream: 3}
	r.es = &EarlyStop{Window: cfg.ES.Window, Delta: cfg.ES.Delta, Factor: cfg.ES.Factor, StartEpoch: cfg.ES.StartEpoch, Every: max(cfg.HessianEvery, 1)}
	r.state.ADA = Adaptive{R: cfg.WeightDecay, Factor: cfg.ADA.Factor, Max: cfg.ADA.Max}
	return r, nil
}

// Network exposes the one-shot model.
func (r *Runner) Network() *supernet.Network { return r.b.Net }

// Bilevel exposes the optimiser, e.g. for the Hessian of a loaded checkpoint.
func (r *Runner) Bilevel() *Bilevel { return r.b }

// Start prepares the run folder: a fresh one (refusing to overwrite a run)
// or, with resume, the last checkpoint.
func (r *Runner) Start(resume bool) error {
	ck := filepath.Join(r.Dir, stateFile)
	if resume {
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
		return r.rewriteMetrics()
	}
	if _, err := os.Stat(ck); err == nil {
		return fmt.Errorf("--out %s already holds a run: pass --resume to continue it or choose another folder", r.Dir)
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	cfg, _ := json.MarshalIndent(r.Cfg, "", "  ")
	if err := WriteAtomic(filepath.Join(r.Dir, "config.json"), append(cfg, '\n')); err != nil {
		return err
	}
	return r.rewriteMetrics()
}

// rewriteMetrics makes metrics.jsonl hold exactly the checkpoint's history,
// dropping lines a killed run wrote after its last checkpoint.
// eigen.jsonl follows the same rule.
func (r *Runner) rewriteMetrics() error {
	var eig []EigenRecord
	for _, m := range r.state.History {
		if m.Eigen != nil {
			eig = append(eig, eigenRecord(m))
		}
	}
	if err := runfolder.WriteJSONL(filepath.Join(r.Dir, eigenFile), eig); err != nil {
		return err
	}
	return runfolder.WriteJSONL(filepath.Join(r.Dir, metricsFile), r.state.History)
}

// EigenRecord is a line of eigen.jsonl: one eigen-analysis.
type EigenRecord struct {
	Epoch     int `json:"epoch"`
	Iteration int `json:"iteration"`
	Eigen
}

func eigenRecord(m Metrics) EigenRecord {
	return EigenRecord{Epoch: m.Epoch, Iteration: m.Iteration, Eigen: *m.Eigen}
}

func (r *Runner) appendMetrics(m Metrics) error {
	return runfolder.AppendJSONL(filepath.Join(r.Dir, metricsFile), m)
}

// checkpoint saves the current state.
func (r *Runner) checkpoint() error {
	s := r.b.capture()
	s.Epoch, s.Step, s.Sums, s.History, s.Done, s.Result = r.state.Epoch, r.state.Step, r.state.Sums, r.state.History, r.state.Done, r.state.Result
	s.ES, s.ADA = r.es.State(), r.state.ADA
	r.state = s
	return SaveState(filepath.Join(r.Dir, stateFile), s)
}

// epochCheckpoint is the per-epoch copy DARTS-ADA rolls back to.
func (r *Runner) epochCheckpoint(epoch int) string {
	return filepath.Join(r.Dir, fmt.Sprintf("checkpoint_%d.gob", epoch))
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
// cancellation (then it checkpoints and returns ErrInterrupted).
func (r *Runner) Run(ctx context.Context) error {
	randomWS := r.Cfg.Method == "rs-ws"
	r.b.Discrete = randomWS
	steps := r.train.Steps()
	budget := runfolder.Budget(r.StopAfter)
	var progress func(int, float64, float64)
	if r.Progress != nil {
		progress = r.Progress.Step
	}
	for !r.state.Done && r.state.Epoch < r.Cfg.Epochs {
		epoch := r.state.Epoch
		lr, dp := r.LR(epoch), r.DropPath(epoch)
		if r.Progress != nil {
			r.Progress.StartEpoch(epoch, r.Cfg.Epochs, steps, r.state.Step)
		}
		tr := data.Iterate(r.train.Epoch(epoch), r.state.Step, 2)
		va := data.Iterate(r.valid.Draws(epoch, steps), r.state.Step, 2)
		interrupted, err := runfolder.Steps{N: steps, Pos: &r.state.Step, Sums: &r.state.Sums, Budget: &budget, Progress: progress}.Run(ctx,
			func(step int) (float64, int, int, error) {
				tb, _ := tr.Next()
				vb, _ := va.Next()
				var res Result
				if randomWS {
					res = r.randomStep(toBatch(tb), lr, epoch, step)
				} else {
					res = r.b.Step(toBatch(tb), toBatch(vb), lr, dp, epoch, step)
				}
				return res.Loss, res.Correct, res.N, r.checkFinite(res.Loss, epoch, step)
			})
		tr.Close()
		va.Close()
		if err != nil {
			return err
		}
		if interrupted {
			if err := r.checkpoint(); err != nil {
				return err
			}
			return ErrInterrupted
		}
		if r.Progress != nil {
			r.Progress.EndEpoch()
		}
		if err := r.endEpoch(epoch, lr, dp); err != nil {
			return err
		}
	}
	return nil
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
	return fmt.Errorf("diverged: %s became NaN or Inf at epoch %d, step %d; the last good checkpoint (end of epoch %d) is kept in %s — try a lower --lr or --arch-lr",
		what, epoch, step, epoch-1, r.Dir)
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

// validate runs the whole α half in eval mode.
func (r *Runner) validate(epoch int) (loss, acc float64) {
	it := data.Iterate(r.infer.Epoch(epoch), 0, 2)
	defer it.Close()
	var l float64
	var c, n int
	for step := 0; ; step++ {
		vb, ok := it.Next()
		if !ok {
			break
		}
		res := r.b.Evaluate(toBatch(vb), false, epoch, step)
		l += res.Loss * float64(res.N)
		c += res.Correct
		n += res.N
	}
	return l / float64(n), 100 * float64(c) / float64(n)
}

// endEpoch does the end-of-epoch work of spec §2: eigenvalue, validation,
// genotype, metrics, the methods' decisions, checkpoint.
func (r *Runner) endEpoch(epoch int, lr, dp float64) error {
	start := time.Now()
	last := epoch == r.Cfg.Epochs-1
	m := Metrics{Epoch: epoch, Iteration: r.state.ADA.Increases, LR: lr, WeightDecay: r.b.SGD.WeightDecay, DropPath: dp}
	s := r.state.Sums
	m.TrainLoss, m.TrainAcc = s.MeanLoss(), s.Accuracy()
	if k := r.Cfg.HessianEvery; k > 0 && (epoch%k == 0 || last) && !r.b.Discrete {
		// The batch of the epoch's last α step, as the reference.
		var vb data.Batch
		r.valid.RandomBatch(epoch, r.train.Steps()-1, &vb)
		eig, err := r.b.DominantEigenvalue(toBatch(&vb), dp, r.Cfg.ArchWeightDecay, epoch, r.Cfg.HessianExact, 10)
		if err != nil {
			return fmt.Errorf("epoch %d: eigenvalue: %w", epoch, err)
		}
		m.EV, m.Eigen = &eig.Value, &eig
		if err := runfolder.AppendJSONL(filepath.Join(r.Dir, eigenFile), eigenRecord(m)); err != nil {
			return err
		}
	}
	m.ValidLoss, m.ValidAcc = r.validate(epoch)
	m.Genotype = r.b.Net.Genotype().String()
	m.AlphaNormal, m.AlphaReduce = softmaxRows(r.b.Net.AlphaNormal), softmaxRows(r.b.Net.AlphaReduce)
	m.Seconds = s.Seconds + time.Since(start).Seconds()

	rollback := -1
	if m.EV != nil {
		if last {
			r.es.Finish(epoch, *m.EV)
		} else if stop, stopEpoch := r.es.Observe(epoch, *m.EV); stop {
			switch {
			case r.Cfg.Method == "darts-es" && !r.Cfg.ESSimulate:
				m.Event = fmt.Sprintf("es-stop:%d", stopEpoch)
				r.state.Done = true
			case r.Cfg.Method == "darts-ada" && !r.state.ADA.Final():
				m.Event = fmt.Sprintf("ada-rollback:%d", stopEpoch)
				rollback = stopEpoch
			default:
				m.Event = fmt.Sprintf("es-would-stop:%d", stopEpoch)
			}
		}
	}
	r.state.History = append(r.state.History, m)
	if r.b.Discrete && last {
		sel := r.selectRandomWS()
		r.state.Result = &sel
	}
	r.state.Epoch, r.state.Step, r.state.Sums = epoch+1, 0, runfolder.Sums{}
	if last {
		r.state.Done = true
	}
	if rollback >= 0 {
		return r.rollback(rollback)
	}
	if err := r.checkpoint(); err != nil {
		return err
	}
	if r.Cfg.Method == "darts-ada" || r.Cfg.KeepCheckpoints {
		if err := SaveState(r.epochCheckpoint(epoch), r.state); err != nil {
			return err
		}
		if !r.Cfg.KeepCheckpoints {
			// DARTS-ADA rolls back at most f·(⌊w/2⌋+delta) epochs.
			os.Remove(r.epochCheckpoint(epoch - r.es.Every*(r.Cfg.ES.Window/2+r.Cfg.ES.Delta) - 1))
		}
	}
	if err := r.appendMetrics(m); err != nil {
		return err
	}
	args := []any{"epoch", epoch, "lr", fmt.Sprintf("%.5g", lr), "train_acc", fmt.Sprintf("%.2f", m.TrainAcc), "valid_acc", fmt.Sprintf("%.2f", m.ValidAcc)}
	if m.EV != nil {
		args = append(args, "ev", fmt.Sprintf("%.5g", *m.EV))
	}
	r.Log.Info("epoch", append(args, "genotype", m.Genotype)...)
	if r.state.Done {
		return r.finish()
	}
	return nil
}

// rollback is DARTS-ADA's restart (spec §5): back to the checkpoint of the
// stop epoch, weight decay ×η, continue from the next epoch. Unlike the
// reference, the eigenvalue history is cut back to the stop epoch and the
// second-order step uses the new decay.
func (r *Runner) rollback(stopEpoch int) error {
	s, err := LoadState(r.epochCheckpoint(stopEpoch))
	if err != nil {
		return fmt.Errorf("DARTS-ADA rollback to epoch %d: %w", stopEpoch, err)
	}
	if err := r.b.restore(s); err != nil {
		return err
	}
	ada := r.state.ADA
	wd, _ := ada.Increase()
	r.b.SGD.WeightDecay = wd
	history := r.state.History // the full log, discarded epochs included
	r.state = s
	r.state.History, r.state.ADA = history, ada
	r.es.SetState(s.ES)
	r.es.TruncateTo(stopEpoch)
	r.Log.Info("DARTS-ADA rollback", "to_epoch", stopEpoch, "weight_decay", wd)
	if err := r.checkpoint(); err != nil {
		return err
	}
	return r.appendMetrics(history[len(history)-1])
}

// Final is the run's answer: the genotype and validation accuracy of the
// epoch DARTS-ES stopped at, or of the last epoch.
func (r *Runner) Final() (Metrics, bool) {
	if r.state.Result != nil {
		return *r.state.Result, true
	}
	h := r.state.History
	if len(h) == 0 {
		return Metrics{}, false
	}
	m := h[len(h)-1]
	var stop int
	if _, err := fmt.Sscanf(m.Event, "es-stop:%d", &stop); err == nil {
		for i := len(h) - 1; i >= 0; i-- {
			if h[i].Epoch == stop {
				return h[i], true
			}
		}
	}
	return m, true
}

// finish writes genotype.txt and result.json.
func (r *Runner) finish() error {
	m, ok := r.Final()
	if !ok {
		return nil
	}
	if err := WriteAtomic(filepath.Join(r.Dir, "genotype.txt"), []byte(m.Genotype+"\n")); err != nil {
		return err
	}
	res := map[string]any{"method": r.Cfg.Method, "epoch": m.Epoch, "genotype": m.Genotype, "valid_acc": m.ValidAcc, "valid_error": 100 - m.ValidAcc}
	b, _ := json.MarshalIndent(res, "", "  ")
	return WriteAtomic(filepath.Join(r.Dir, "result.json"), append(b, '\n'))
}
