package benchmark

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/optim"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/supernet"
	"github.com/rdarts/rdarts/tensor"
)

// Size is the shape of a benchmark: the network and its input batch.
type Size struct {
	Name       string `json:"name"`
	Layers     int    `json:"layers"`
	C          int    `json:"init_channels"`
	Batch      int    `json:"batch"`
	InChannels int    `json:"in_channels"`
	HW         int    `json:"hw"` // square images
	Classes    int    `json:"classes"`
}

// Sizes are the named shapes: the paper's search setting (CIFAR-10, 8 cells,
// 16 channels, batch 64), the Fashion-MNIST demo and a tiny one for tests.
var Sizes = map[string]Size{
	"paper": {Name: "paper", Layers: 8, C: 16, Batch: 64, InChannels: 3, HW: 32, Classes: 10},
	"demo":  {Name: "demo", Layers: 5, C: 8, Batch: 64, InChannels: 1, HW: 28, Classes: 10},
	"tiny":  {Name: "tiny", Layers: 3, C: 4, Batch: 4, InChannels: 3, HW: 8, Classes: 10},
}

// Items are what can be timed, in the order they run.
const (
	ItemSearch1 = "search1" // first-order search step: α step + w step
	ItemSearch2 = "search2" // second-order (unrolled) search step
	ItemEval    = "eval"    // evaluation-network training step
	ItemEigen   = "eigen"   // dominant eigenvalue by Lanczos
	ItemExact   = "exact"   // dominant eigenvalue from the full Hessian
)

// AllItems lists every item.
var AllItems = []string{ItemSearch1, ItemSearch2, ItemEval, ItemEigen, ItemExact}

// Options configure Run. Backend and at least one space, size and item are
// required; zero Steps and Warmup mean 5 and 1.
type Options struct {
	Backend kernels.Backend
	Spaces  []string
	Sizes   []Size
	Items   []string
	Steps   int // timed steps per step item
	Warmup  int // untimed steps before them (the first also counts FLOPs)
	Seed    uint64
	// Progress, if set, is told about each result as it is finished.
	Progress func(Result)
}

// Result is the measurement of one item for one space and size.
type Result struct {
	Space string `json:"space"`
	Size  Size   `json:"size"`
	Item  string `json:"item"`
	// Step summarises the timed repetitions (seconds); an eigenvalue item
	// is one repetition.
	Step Summary `json:"step"`
	// Alpha and W are the α part (gradient + Adam) and the w part (gradient,
	// clipping, SGD) of a search step.
	Alpha *Summary `json:"alpha,omitempty"`
	W     *Summary `json:"w,omitempty"`
	// CPU summarises the process CPU time (user + system, all threads) of
	// the same repetitions: less disturbed than wall time when other
	// processes share the machine.
	CPU Summary `json:"cpu"`
	// StepsPerSec is 1/median; ImagesPerSec is training images per second,
	// batch/median (the w step consumes one batch per step; the α step's
	// validation batch is not counted again).
	StepsPerSec  float64 `json:"steps_per_s"`
	ImagesPerSec float64 `json:"images_per_s,omitempty"`
	// FLOPs per step (or per eigenvalue), conv and GEMM only (see Counter).
	FLOPs  int64   `json:"flops"`
	GFLOPS float64 `json:"gflops"` // FLOPs / median
	// PeakRSS is the resident-set high-water mark while the item ran
	// (network built, warm-up and timed steps), in bytes; RSSReset false
	// means the mark could not be reset and covers the whole process.
	PeakRSS  int64 `json:"peak_rss"`
	RSSReset bool  `json:"rss_reset"`
	WParams  int   `json:"w_params"`
	NAlpha   int   `json:"n_alpha,omitempty"`
	// Eigenvalue items: the value and the gradient evaluations it took.
	EV        float64 `json:"ev,omitempty"`
	GradEvals int     `json:"grad_evals,omitempty"`
	// Genotype is the evaluation network's architecture.
	Genotype string `json:"genotype,omitempty"`
	// RNN is the recurrent space's shape (RNNSizes; Size names it) and
	// TokensPerSec its training tokens per second (batch × window / step).
	RNN          *RNNSize `json:"rnn,omitempty"`
	TokensPerSec float64  `json:"tokens_per_s,omitempty"`
}

// Run measures every item for every space and size, in that nesting
// (size, space, item). It stops early, returning what it has and the
// context's error, if ctx is cancelled.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if o.Steps <= 0 {
		o.Steps = 5
	}
	if o.Warmup <= 0 {
		o.Warmup = 1
	}
	var out []Result
	for _, sz := range o.Sizes {
		for _, sp := range o.Spaces {
			var s space.Space
			var err error
			if sp != RNNSpace {
				if s, err = space.Get(sp); err != nil {
					return out, err
				}
			}
			for _, item := range o.Items {
				if err := ctx.Err(); err != nil {
					return out, err
				}
				var r Result
				switch {
				case sp == RNNSpace:
					r, err = runRNN(ctx, o, sz, item)
				case item == ItemSearch1, item == ItemSearch2:
					r, err = searchStep(ctx, o, s, sz, item)
				case item == ItemEval:
					r, err = evalStep(ctx, o, s, sz)
				case item == ItemEigen, item == ItemExact:
					r, err = eigen(o, s, sz, item == ItemExact)
				default:
					err = fmt.Errorf("benchmark: unknown item %q (have %v)", item, AllItems)
				}
				if err != nil {
					return out, err
				}
				r.Space, r.Size, r.Item = sp, sz, item
				if r.Step.Median > 0 {
					r.StepsPerSec = 1 / r.Step.Median
					r.GFLOPS = float64(r.FLOPs) / r.Step.Median / 1e9
				}
				out = append(out, r)
				if o.Progress != nil {
					o.Progress(r)
				}
			}
		}
	}
	return out, nil
}

// randBatch is a synthetic batch: N(0,1) pixels, uniform labels.
func randBatch(r *rand.Rand, sz Size) search.Batch {
	x := tensor.New(sz.Batch, sz.InChannels, sz.HW, sz.HW)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := make([]int32, sz.Batch)
	for i := range y {
		y[i] = int32(r.IntN(sz.Classes))
	}
	return search.Batch{X: x, Y: y}
}

func newSupernet(s space.Space, sz Size, seed uint64) (*supernet.Network, error) {
	return supernet.New(supernet.Config{Space: s, InChannels: sz.InChannels, Classes: sz.Classes, C: sz.C, Layers: sz.Layers}, seed)
}

func newBilevel(o Options, s space.Space, sz Size, order int) (*search.Bilevel, error) {
	net, err := newSupernet(s, sz, o.Seed)
	if err != nil {
		return nil, err
	}
	cfg := search.Defaults()
	cfg.Order = order
	cfg.Seed = o.Seed
	return search.NewBilevel(net, o.Backend, cfg), nil
}

func alphaCount(net *supernet.Network) int {
	n := 0
	for _, a := range net.Alphas() {
		n += a.Value.Len()
	}
	return n
}

// searchStep times Bilevel's α part (AlphaGrad + Adam) and w part
// (WeightStep) separately, exactly as Bilevel.Step runs them.
func searchStep(ctx context.Context, o Options, s space.Space, sz Size, item string) (Result, error) {
	reset := ResetPeakRSS()
	order := 1
	if item == ItemSearch2 {
		order = 2
	}
	b, err := newBilevel(o, s, sz, order)
	if err != nil {
		return Result{}, err
	}
	var aps []optim.Param // the same slices Bilevel's Adam steps
	for _, a := range b.Net.Alphas() {
		aps = append(aps, optim.Param{Value: a.Value.Data, Grad: a.Grad.Data})
	}
	r := rand.New(rand.NewPCG(o.Seed, 7))
	train, val := randBatch(r, sz), randBatch(r, sz)
	const lr = 0.025
	plain, counter := o.Backend, NewCounter(o.Backend)
	var ta, tw, tt, tc []float64
	for i := range o.Warmup + o.Steps {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if i == 0 {
			b.Tape.K = counter
		}
		c0, t0 := CPUTime(), time.Now()
		b.AlphaGrad(train, val, lr, 0, 0, i)
		b.Adam.Step(aps)
		t1 := time.Now()
		b.WeightStep(train, lr, 0, 0, i)
		t2 := time.Now()
		c1 := CPUTime()
		b.Tape.K = plain
		if i >= o.Warmup {
			ta, tw, tt = append(ta, t1.Sub(t0).Seconds()), append(tw, t2.Sub(t1).Seconds()), append(tt, t2.Sub(t0).Seconds())
			tc = append(tc, c1-c0)
		}
	}
	sa, sw := Summarize(ta), Summarize(tw)
	return Result{
		Step: Summarize(tt), Alpha: &sa, W: &sw, CPU: Summarize(tc),
		ImagesPerSec: float64(sz.Batch) / Summarize(tt).Median,
		FLOPs:        counter.FLOPs(), PeakRSS: PeakRSS(), RSSReset: reset,
		WParams: b.Net.W.Count(), NAlpha: alphaCount(b.Net),
	}, nil
}

// EvalGenotype is the architecture the evaluation step trains: DARTS_V2 in
// the DARTS space, elsewhere the genotype derived from the one-shot
// network's initial α (seeded, so the same on every run).
func EvalGenotype(s space.Space, seed uint64) (space.Genotype, error) {
	if s.Name == "darts" {
		return space.DARTSV2, nil
	}
	net, err := newSupernet(s, Sizes["tiny"], seed)
	if err != nil {
		return space.Genotype{}, err
	}
	return net.Genotype(), nil
}

// evalStep times one training step of the evaluation network with the
// auxiliary head (loss CE + 0.4·CE_aux): forward, backward, clip 5, SGD
// with momentum 0.9 and weight decay 3e-4.
func evalStep(ctx context.Context, o Options, s space.Space, sz Size) (Result, error) {
	g, err := EvalGenotype(s, o.Seed)
	if err != nil {
		return Result{}, err
	}
	reset := ResetPeakRSS()
	net, err := supernet.NewEval(g, supernet.EvalConfig{InChannels: sz.InChannels, Classes: sz.Classes,
		C: sz.C, Layers: sz.Layers, Auxiliary: true}, o.Seed)
	if err != nil {
		return Result{}, err
	}
	counter := NewCounter(o.Backend)
	tape := autograd.NewTape(o.Backend)
	c := &nn.Ctx{T: tape, Train: true, Rng: rand.New(rand.NewPCG(o.Seed, 11))}
	sgd := &optim.SGD{LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4}
	var ps []optim.Param
	for _, v := range net.W.Vars {
		ps = append(ps, optim.Param{Value: v.Value.Data, Grad: v.Grad.Data})
	}
	batch := randBatch(rand.New(rand.NewPCG(o.Seed, 13)), sz)
	var ts, tc []float64
	for i := range o.Warmup + o.Steps {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if i == 0 {
			tape.K = counter
		}
		c0, t0 := CPUTime(), time.Now()
		net.W.ZeroGrad()
		tape.Reset()
		logits, aux := net.Forward(c, tape.Const(batch.X))
		loss := tape.CrossEntropy(logits, batch.Y)
		if aux != nil {
			loss = tape.Sum([]*autograd.Var{loss, tape.CrossEntropy(aux, batch.Y)}, []float32{1, 0.4})
		}
		tape.Backward(loss)
		tape.Reset()
		optim.ClipGradNorm(ps, 5)
		sgd.Step(ps)
		d, dc := time.Since(t0).Seconds(), CPUTime()-c0
		tape.K = o.Backend
		if i >= o.Warmup {
			ts, tc = append(ts, d), append(tc, dc)
		}
	}
	st := Summarize(ts)
	return Result{Step: st, CPU: Summarize(tc), ImagesPerSec: float64(sz.Batch) / st.Median, FLOPs: counter.FLOPs(),
		PeakRSS: PeakRSS(), RSSReset: reset, WParams: net.W.Count(), Genotype: g.String()}, nil
}

// eigen times one dominant-eigenvalue computation of ∇²_α L_val + 1e-3·I
// (docs/method.md, Eigen-analysis) at the network's initial weights on one synthetic batch:
// Lanczos on finite-difference Hessian-vector products, or the full
// Hessian and its spectrum. It runs once, through the FLOP counter (one
// atomic add per kernel call).
func eigen(o Options, s space.Space, sz Size, exact bool) (Result, error) {
	reset := ResetPeakRSS()
	counter := NewCounter(o.Backend)
	b, err := newBilevel(Options{Backend: counter, Seed: o.Seed}, s, sz, 1)
	if err != nil {
		return Result{}, err
	}
	val := randBatch(rand.New(rand.NewPCG(o.Seed, 17)), sz)
	c0, t0 := CPUTime(), time.Now()
	ev, err := b.DominantEigenvalue(val, 0, search.Defaults().ArchWeightDecay, 0, exact, 1)
	d, dc := time.Since(t0).Seconds(), CPUTime()-c0
	if err != nil {
		return Result{}, err
	}
	return Result{Step: Summarize([]float64{d}), CPU: Summarize([]float64{dc}), FLOPs: counter.FLOPs(), PeakRSS: PeakRSS(), RSSReset: reset,
		WParams: b.Net.W.Count(), NAlpha: alphaCount(b.Net), EV: ev.Value, GradEvals: ev.GradEvals}, nil
}

// ParseItems splits and checks a list of item names.
func ParseItems(names []string) ([]string, error) {
	for _, n := range names {
		if !slices.Contains(AllItems, n) {
			return nil, fmt.Errorf("unknown item %q (have %v)", n, AllItems)
		}
	}
	return names, nil
}
