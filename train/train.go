package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/optim"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/supernet"
	"github.com/rdarts/rdarts/tensor"
)

// Metrics is one epoch's record in metrics.jsonl. Accuracies are percent.
type Metrics struct {
	Epoch    int     `json:"epoch"`
	LR       float64 `json:"lr"`
	DropPath float64 `json:"drop_path"`
	// TrainLoss is the objective, CE + AuxWeight·CE_aux, averaged over the
	// epoch's images, as the reference logs it; TrainAcc is the main head's.
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	TestLoss  float64 `json:"test_loss"`
	TestAcc   float64 `json:"test_acc"`
	Seconds   float64 `json:"seconds"`
}

// Result is a finished run's result.json: the test error of the last epoch
// (the number the reference reports) and the model size.
type Result struct {
	Genotype  string  `json:"genotype"`
	Dataset   string  `json:"dataset"`
	Epochs    int     `json:"epochs"`
	Seed      uint64  `json:"seed"`
	TestAcc   float64 `json:"test_acc"`
	TestError float64 `json:"test_error"`
	TestLoss  float64 `json:"test_loss"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	// Params counts the network without the auxiliary head, as the
	// reference's "param size"; ParamsAux is the head.
	Params      int     `json:"params"`
	ParamsAux   int     `json:"params_aux"`
	ParamSizeMB float64 `json:"param_size_mb"`
	Seconds     float64 `json:"seconds"` // summed over epochs
}

// ErrInterrupted is returned when a run stopped on request after writing a
// checkpoint; resuming continues it.
var ErrInterrupted = errors.New("interrupted; checkpoint written, continue with --resume")

// ErrDiverged is wrapped by the error Run returns when the loss or a weight
// became NaN or Inf.
var ErrDiverged = errors.New("diverged")

// Progress receives step-level progress; nil means none. It has the method
// set of search.Progress, so one implementation serves both.
type Progress interface {
	StartEpoch(epoch, epochs, steps, done int)
	Step(step int, loss, acc float64)
	EndEpoch()
}

const (
	stateFile   = "checkpoint.gob"
	metricsFile = "metrics.jsonl"
	configFile  = "config.json"
	resultFile  = "result.json"
)

// rngTrain is the purpose word of the training forward's random stream
// (drop-path masks, noise ops).
const rngTrain = 1

// Runner is one training run: configuration, data, network, optimiser and
// run folder.
type Runner struct {
	Cfg      Config
	Dir      string
	Log      *slog.Logger
	Progress Progress
	// StopAfter, if > 0, makes Run return ErrInterrupted after that many
	// steps (tests use it to stop at a precise point).
	StopAfter int

	net         *supernet.EvalNetwork
	tape        *autograd.Tape
	sgd         *optim.SGD
	params      []optim.Param
	ctx         nn.Ctx
	pcg         *rand.PCG
	train, test data.Loader
	state       State
}

// Model builds the evaluation network a configuration trains, for a dataset
// with inChannels channels and classes classes.
func Model(cfg Config, inChannels, classes int) (*supernet.EvalNetwork, error) {
	cfg = cfg.resolved()
	g, err := space.Parse(cfg.Genotype)
	if err != nil {
		return nil, err
	}
	return supernet.NewEval(g, supernet.EvalConfig{
		InChannels: inChannels, Classes: classes, C: cfg.Channels, Layers: cfg.Layers, Auxiliary: cfg.Auxiliary,
	}, cfg.Seed)
}

// Datasets are the training and test sets of a run, loaded once and shared
// read-only by any number of runners.
type Datasets struct {
	Train, Test *data.Dataset
}

// LoadDatasets reads a dataset's training and test splits.
func LoadDatasets(name, dir string) (Datasets, error) {
	tr, err := data.Load(name, dir, true)
	if err != nil {
		return Datasets{}, err
	}
	te, err := data.Load(name, dir, false)
	if err != nil {
		return Datasets{}, err
	}
	return Datasets{Train: tr, Test: te}, nil
}

// NewRunner loads the data and builds the network for cfg in run folder dir.
// Layers, Channels and Data left at 0 / "" take the dataset's defaults.
func NewRunner(cfg Config, dir string, k kernels.Backend, log *slog.Logger) (*Runner, error) {
	cfg = cfg.resolved()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ds, err := LoadDatasets(cfg.Dataset, cfg.Data)
	if err != nil {
		return nil, err
	}
	return NewRunnerData(cfg, ds, dir, k, log)
}

// NewRunnerData is NewRunner on datasets already loaded. A nil log
// discards the log.
func NewRunnerData(cfg Config, ds Datasets, dir string, k kernels.Backend, log *slog.Logger) (*Runner, error) {
	cfg = cfg.resolved()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TrainSize > ds.Train.N {
		return nil, fmt.Errorf("train-size: %d is more than the %d training images of %s", cfg.TrainSize, ds.Train.N, cfg.Dataset)
	}
	n := ds.Train.N
	if cfg.TrainSize > 0 {
		n = cfg.TrainSize
	}
	if n%cfg.BatchSize == 1 {
		return nil, fmt.Errorf("batch-size: %d training images leave a last batch of one image, which batch norm cannot train on; change --batch-size or --train-size", n)
	}
	norm, err := data.NormFor(cfg.Dataset)
	if err != nil {
		return nil, err
	}
	net, err := Model(cfg, ds.Train.C, ds.Train.Classes)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{Cfg: cfg, Dir: dir, Log: log, net: net, tape: autograd.NewTape(k), pcg: rand.NewPCG(0, 0)}
	r.sgd = &optim.SGD{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay}
	r.ctx = nn.Ctx{T: r.tape, Train: true, Rng: rand.New(r.pcg)}
	for _, v := range net.W.Vars {
		r.params = append(r.params, optim.Param{Value: v.Value.Data, Grad: v.Grad.Data})
	}
	r.train = data.Loader{Data: ds.Train.Range(0, n), BatchSize: cfg.BatchSize, Shuffle: true,
		Transform: data.StandardTrain(norm, cfg.Cutout), Seed: cfg.Seed, Stream: 1}
	r.test = data.Loader{Data: ds.Test.All(), BatchSize: cfg.BatchSize, Transform: data.Eval{Norm: norm}, Seed: cfg.Seed, Stream: 2}
	return r, nil
}

// Network exposes the model being trained.
func (r *Runner) Network() *supernet.EvalNetwork { return r.net }

// LoadConfig reads the config.json of a run folder, over the defaults.
func LoadConfig(dir string) (Config, error) {
	c := Defaults()
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", filepath.Join(dir, configFile), err)
	}
	return c, nil
}

// Start prepares the run folder: a fresh one (refusing to overwrite a run)
// or, with resume, the last checkpoint.
func (r *Runner) Start(resume bool) error {
	ck := filepath.Join(r.Dir, stateFile)
	if resume {
		s, err := LoadState(ck)
		if err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if err := r.restore(s); err != nil {
			return fmt.Errorf("--resume: %s: %w", ck, err)
		}
		r.state = s
		return r.rewriteMetrics()
	}
	if _, err := os.Stat(ck); err == nil {
		return fmt.Errorf("--out %s already holds a run: pass --resume to continue it or choose another folder", r.Dir)
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	cfg, _ := json.MarshalIndent(r.Cfg, "", "  ")
	if err := atomicfile.Write(filepath.Join(r.Dir, configFile), append(cfg, '\n')); err != nil {
		return err
	}
	return r.rewriteMetrics()
}

// rewriteMetrics makes metrics.jsonl hold exactly the checkpoint's history.
func (r *Runner) rewriteMetrics() error {
	return runfolder.WriteJSONL(filepath.Join(r.Dir, metricsFile), r.state.History)
}

func (r *Runner) appendMetrics(m Metrics) error {
	return runfolder.AppendJSONL(filepath.Join(r.Dir, metricsFile), m)
}

// LR is the learning rate epoch e trains with: the cosine schedule from LR
// to LRMin over Epochs, stepped at the start of every epoch as the
// reference's train.py does with PyTorch 0.3.1 (scheduler.step() before the
// epoch), so epoch e uses lr(e+1) and the last epoch lr(Epochs) = LRMin.
// With the default LRMin 0 the last epoch only updates batch-norm
// statistics; a 1-epoch run does not learn.
func (r *Runner) LR(epoch int) float64 {
	return optim.Cosine(epoch+1, r.Cfg.Epochs, r.Cfg.LR, r.Cfg.LRMin)
}

// DropPath is the drop-path probability of an epoch: DropPath·e/E (the
// reference's drop_path_prob * epoch / epochs), 0 in the first epoch.
func (r *Runner) DropPath(epoch int) float64 {
	return r.Cfg.DropPath * float64(epoch) / float64(r.Cfg.Epochs)
}

// reseed points the network's random stream at (epoch, step, purpose), so a
// resumed run draws the same drop-path masks.
func (r *Runner) reseed(epoch, step, purpose int) {
	r.pcg.Seed(r.Cfg.Seed, uint64(epoch)<<40^uint64(step)<<8^uint64(purpose))
}

// objective is the training loss of spec §9: CE(logits) + w·CE(aux) when the
// network has an auxiliary head (in training mode), else CE(logits).
func objective(c *nn.Ctx, net *supernet.EvalNetwork, x *autograd.Var, y []int32, auxWeight float64) (loss, logits *autograd.Var) {
	logits, aux := net.Forward(c, x)
	loss = c.T.CrossEntropy(logits, y)
	if aux != nil {
		loss = c.T.Sum([]*autograd.Var{loss, c.T.CrossEntropy(aux, y)}, []float32{1, float32(auxWeight)})
	}
	return loss, logits
}

func toVar(t *autograd.Tape, b *data.Batch) *autograd.Var {
	return t.Const(tensor.From(b.X, b.N, b.C, b.H, b.W))
}

// step is one SGD step on a training batch. It returns the loss before the
// step; a non-finite loss leaves the weights untouched.
func (r *Runner) step(b *data.Batch, lr, dropPath float64, epoch, step int) (loss float64, hits int) {
	r.net.W.ZeroGrad()
	r.tape.Reset()
	r.reseed(epoch, step, rngTrain)
	r.ctx.Train, r.ctx.DropPath = true, dropPath
	l, logits := objective(&r.ctx, r.net, toVar(r.tape, b), b.Y, r.Cfg.AuxWeight)
	loss, hits = float64(l.Value.Data[0]), nn.Correct(logits.Value, b.Y)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		r.tape.Reset()
		return loss, hits
	}
	r.tape.Backward(l)
	r.tape.Reset()
	optim.ClipGradNorm(r.params, r.Cfg.GradClip)
	r.sgd.LR = lr
	r.sgd.Step(r.params)
	return loss, hits
}

// evaluate runs the test set in eval mode (running BN statistics, no drop
// path, no auxiliary head) and returns its mean CE loss and accuracy.
func (r *Runner) evaluate(epoch int) (loss, acc float64) {
	it := data.Iterate(r.test.Epoch(epoch), 0, 2)
	defer it.Close()
	r.tape.NoGrad = true
	defer func() { r.tape.NoGrad = false }()
	r.ctx.Train, r.ctx.DropPath = false, 0
	var l float64
	var c, n int
	for {
		b, ok := it.Next()
		if !ok {
			break
		}
		r.tape.Reset()
		logits, _ := r.net.Forward(&r.ctx, toVar(r.tape, b))
		l += float64(r.tape.CrossEntropy(logits, b.Y).Value.Data[0]) * float64(b.N)
		c += nn.Correct(logits.Value, b.Y)
		n += b.N
	}
	r.tape.Reset()
	return l / float64(n), 100 * float64(c) / float64(n)
}

// Run trains until the last epoch, an error or ctx's cancellation (then it
// checkpoints and returns ErrInterrupted).
func (r *Runner) Run(ctx context.Context) error {
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
		it := data.Iterate(r.train.Epoch(epoch), r.state.Step, 2)
		interrupted, err := runfolder.Steps{N: steps, Pos: &r.state.Step, Sums: &r.state.Sums, Budget: &budget, Progress: progress}.Run(ctx,
			func(step int) (float64, int, int, error) {
				b, _ := it.Next()
				loss, hits := r.step(b, lr, dp, epoch, step)
				return loss, hits, b.N, r.checkFinite(loss, epoch, step)
			})
		it.Close()
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

// checkFinite stops the run on a NaN or Inf in the loss or the weights.
func (r *Runner) checkFinite(loss float64, epoch, step int) error {
	what := "the training loss"
	if !math.IsNaN(loss) && !math.IsInf(loss, 0) {
		what = r.net.W.NonFinite()
	}
	if what == "" {
		return nil
	}
	kept := "no epoch had finished"
	if epoch > 0 {
		kept = fmt.Sprintf("the last good checkpoint (end of epoch %d) is kept in %s", epoch-1, r.Dir)
	}
	return fmt.Errorf("%w: %s became NaN or Inf at epoch %d, step %d; %s — try a lower --lr", ErrDiverged, what, epoch, step, kept)
}

// endEpoch tests the network, logs the epoch and checkpoints.
func (r *Runner) endEpoch(epoch int, lr, dp float64) error {
	start := time.Now()
	s := r.state.Sums
	m := Metrics{Epoch: epoch, LR: lr, DropPath: dp, TrainLoss: s.MeanLoss(), TrainAcc: s.Accuracy()}
	m.TestLoss, m.TestAcc = r.evaluate(epoch)
	m.Seconds = s.Seconds + time.Since(start).Seconds()
	r.state.History = append(r.state.History, m)
	r.state.Epoch, r.state.Step, r.state.Sums = epoch+1, 0, runfolder.Sums{}
	r.state.Done = r.state.Epoch >= r.Cfg.Epochs
	if err := r.checkpoint(); err != nil {
		return err
	}
	if err := r.appendMetrics(m); err != nil {
		return err
	}
	r.Log.Info("epoch", "epoch", epoch, "lr", fmt.Sprintf("%.5g", lr), "drop_path", fmt.Sprintf("%.4g", dp),
		"train_loss", fmt.Sprintf("%.4f", m.TrainLoss), "train_acc", fmt.Sprintf("%.2f", m.TrainAcc),
		"test_acc", fmt.Sprintf("%.2f", m.TestAcc), "seconds", fmt.Sprintf("%.1f", m.Seconds))
	if r.state.Done {
		return r.finish()
	}
	return nil
}

// Result is the run's answer once it has finished: the last epoch's test
// error and the model size.
func (r *Runner) Result() (Result, bool) {
	h := r.state.History
	if !r.state.Done || len(h) == 0 {
		return Result{}, false
	}
	m := h[len(h)-1]
	main, aux := r.net.ParamCount()
	var secs float64
	for _, e := range h {
		secs += e.Seconds
	}
	return Result{
		Genotype: r.net.Genotype.String(), Dataset: r.Cfg.Dataset, Epochs: r.Cfg.Epochs, Seed: r.Cfg.Seed,
		TestAcc: m.TestAcc, TestError: 100 - m.TestAcc, TestLoss: m.TestLoss, TrainLoss: m.TrainLoss, TrainAcc: m.TrainAcc,
		Params: main, ParamsAux: aux, ParamSizeMB: float64(main) / 1e6, Seconds: secs,
	}, true
}

// finish writes result.json.
func (r *Runner) finish() error {
	res, ok := r.Result()
	if !ok {
		return nil
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	return atomicfile.Write(filepath.Join(r.Dir, resultFile), append(b, '\n'))
}
