package train

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/provenance"
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
	// TestLoss and TestAcc are measured on the evaluation set: the test
	// set, or the held-out training images of Config.ValidSize.
	TestLoss float64 `json:"test_loss"`
	TestAcc  float64 `json:"test_acc"`
	Seconds  float64 `json:"seconds"`
}

// Result is a finished run's result.json: the test error of the last epoch
// (the number the reference reports) and the model size.
type Result struct {
	Genotype string `json:"genotype"`
	Dataset  string `json:"dataset"`
	Epochs   int    `json:"epochs"`
	Seed     uint64 `json:"seed"`
	// EvalSet is "test", or "train[a:b]" for held-out training images (a
	// selection run): then the Test fields are validation numbers.
	EvalSet   string  `json:"eval_set"`
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
var ErrInterrupted = runfolder.ErrInterrupted

// ErrDiverged is wrapped by the error Run returns when the loss or a weight
// became NaN or Inf.
var ErrDiverged = runfolder.ErrDiverged

// Progress receives step-level progress; nil means none.
type Progress = runfolder.Progress

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
	// Force lets Start replace a folder that holds another run's files.
	Force bool

	backend     string // the kernels backend, for provenance
	folder      *runfolder.Folder
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
	cfg = cfg.Resolved()
	g, err := space.Parse(cfg.Genotype)
	if err != nil {
		return nil, err
	}
	return supernet.NewEval(g, supernet.EvalConfig{
		InChannels: inChannels, Classes: classes, C: cfg.Channels, Layers: cfg.Layers, Auxiliary: cfg.Auxiliary, Init: cfg.Init,
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
	cfg = cfg.Resolved()
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
	cfg = cfg.Resolved()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TrainSize > ds.Train.N {
		return nil, fmt.Errorf("--train-size: %d is more than the %d training images of %s", cfg.TrainSize, ds.Train.N, cfg.Dataset)
	}
	if end := cfg.ValidFrom + cfg.ValidSize; cfg.ValidSize > 0 && end > ds.Train.N {
		return nil, fmt.Errorf("valid-size: the held-out images end at %d, past the %d training images of %s", end, ds.Train.N, cfg.Dataset)
	}
	n := ds.Train.N
	if cfg.TrainSize > 0 {
		n = cfg.TrainSize
	}
	if n%cfg.BatchSize == 1 {
		return nil, fmt.Errorf("batch-size: %d training images leave a last batch of one image, which batch norm cannot train on; change --batch-size or --train-size", n)
	}
	if err := runfolder.CheckMemory(TrainBytes(cfg, ds.Train.C, ds.Train.H, ds.Train.W),
		fmt.Sprintf("the network (--layers %d, --init-channels %d, --batch-size %d)", cfg.Layers, cfg.Channels, cfg.BatchSize)); err != nil {
		return nil, err
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
	r := &Runner{Cfg: cfg, Dir: dir, Log: log, net: net, tape: autograd.NewTape(k), pcg: rand.NewPCG(0, 0), backend: k.Name()}
	r.sgd = &optim.SGD{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay}
	r.ctx = nn.Ctx{T: r.tape, Train: true, Rng: rand.New(r.pcg)}
	for _, v := range net.W.Vars {
		r.params = append(r.params, optim.Param{Value: v.Value.Data, Grad: v.Grad.Data})
	}
	tf, err := data.TrainTransform(cfg.Dataset, cfg.Cutout)
	if err != nil {
		return nil, err
	}
	r.train = data.Loader{Data: ds.Train.Range(0, n), BatchSize: cfg.BatchSize, Shuffle: true,
		Transform: tf, Seed: cfg.Seed, Stream: 1}
	eval := ds.Test.All()
	if cfg.ValidSize > 0 {
		eval = ds.Train.Range(cfg.ValidFrom, cfg.ValidFrom+cfg.ValidSize)
	}
	r.test = data.Loader{Data: eval, BatchSize: cfg.BatchSize, Transform: data.Eval{Norm: norm}, Seed: cfg.Seed, Stream: 2}
	return r, nil
}

// Network exposes the model being trained.
func (r *Runner) Network() *supernet.EvalNetwork { return r.net }

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
	if err := r.restore(s); err != nil {
		return fmt.Errorf("--resume: %s: %w", ck, err)
	}
	r.state = s
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

// Done reports whether the run has finished.
func (r *Runner) Done() bool { return r.state.Pos.Done }

// writeLogs makes metrics.jsonl hold exactly the state's history.
func (r *Runner) writeLogs() error {
	return runfolder.WriteJSONL(r.folder, runfolder.MetricsFile, r.state.History)
}

// LR is the learning rate epoch e trains with: the cosine schedule from LR
// to LRMin over Epochs, lr(e). The reference calls scheduler.step() at the
// start of every epoch, but PyTorch 0.3.1's scheduler constructor has
// already stepped once and reset its epoch counter, so epoch e gets lr(e)
// (DARTS' own logs read "epoch 0 lr 2.500000e-02"); the shift to lr(e+1)
// came only with PyTorch 1.1.
func (r *Runner) LR(epoch int) float64 {
	return optim.Cosine(epoch, r.Cfg.Epochs, r.Cfg.LR, r.Cfg.LRMin)
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

// objective is the training loss of docs/method.md (Retraining): CE(logits) + w·CE(aux) when the
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
// checkpoints and returns ErrInterrupted). It releases the run folder when
// it returns.
func (r *Runner) Run(ctx context.Context) error {
	defer r.Close()
	if r.folder == nil {
		return fmt.Errorf("train: Run before Start")
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
	lr, dp := r.LR(epoch), r.DropPath(epoch)
	it := data.Iterate(r.train.Epoch(epoch), r.state.Pos.Step, 2)
	step := func(i int) (float64, int, int, error) {
		b, _ := it.Next()
		loss, hits := r.step(b, lr, dp, epoch, i)
		return loss, hits, b.N, r.checkFinite(loss, epoch, i)
	}
	return r.train.Steps(), step, it.Close
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
	return runfolder.Diverged(what, epoch, step, r.Dir, "try a lower --lr")
}

// endEpoch tests the network, logs the epoch and checkpoints.
func (r *Runner) endEpoch(epoch int) error {
	start := time.Now()
	pos := &r.state.Pos
	s := pos.Sums
	m := Metrics{Epoch: epoch, LR: r.LR(epoch), DropPath: r.DropPath(epoch), TrainLoss: s.MeanLoss(), TrainAcc: s.Accuracy()}
	m.TestLoss, m.TestAcc = r.evaluate(epoch)
	if key, bad := runfolder.NonFinite(m); bad {
		return runfolder.Diverged(key, epoch, -1, r.Dir, "try a lower --lr")
	}
	m.Seconds = s.Seconds + time.Since(start).Seconds()
	r.state.History = append(r.state.History, m)
	pos.Epoch, pos.Step, pos.Sums = epoch+1, 0, runfolder.Sums{}
	pos.Done = pos.Epoch >= r.Cfg.Epochs
	if err := r.checkpoint(); err != nil {
		return err
	}
	if err := r.writeLogs(); err != nil {
		return err
	}
	r.Log.Info("epoch", "epoch", epoch, "lr", fmt.Sprintf("%.5g", m.LR), "drop_path", fmt.Sprintf("%.4g", m.DropPath),
		"train_loss", fmt.Sprintf("%.4f", m.TrainLoss), "train_acc", fmt.Sprintf("%.2f", m.TrainAcc),
		"test_acc", fmt.Sprintf("%.2f", m.TestAcc), "seconds", fmt.Sprintf("%.1f", m.Seconds))
	if pos.Done {
		return r.finish()
	}
	return nil
}

// Result is the run's answer once it has finished: the last epoch's test
// error and the model size.
func (r *Runner) Result() (Result, bool) {
	h := r.state.History
	if !r.state.Pos.Done || len(h) == 0 {
		return Result{}, false
	}
	m := h[len(h)-1]
	main, aux := r.net.ParamCount()
	var secs float64
	for _, e := range h {
		secs += e.Seconds
	}
	return Result{
		Genotype: r.net.Genotype.String(), Dataset: r.Cfg.Dataset, Epochs: r.Cfg.Epochs, Seed: r.Cfg.Seed, EvalSet: r.Cfg.EvalSet(),
		TestAcc: m.TestAcc, TestError: 100 - m.TestAcc, TestLoss: m.TestLoss, TrainLoss: m.TrainLoss, TrainAcc: m.TrainAcc,
		Params: main, ParamsAux: aux, ParamSizeMB: float64(main) / 1e6, Seconds: secs,
	}, true
}

// finish writes result.json, whose presence marks the run finished.
func (r *Runner) finish() error {
	res, ok := r.Result()
	if !ok {
		return fmt.Errorf("train: finish before the run is done")
	}
	return r.folder.WriteJSON(runfolder.ResultFile, res)
}
