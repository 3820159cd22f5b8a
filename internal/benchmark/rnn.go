package benchmark

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rdarts/rdarts/corpus"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/rnnnet"
	"github.com/rdarts/rdarts/space"
)

// RNNSpace is the name of the recurrent space among Options.Spaces.
const RNNSpace = "rnn"

// RNNSize is the shape of a recurrent benchmark: the search model (Hidden,
// Batch, BPTT) and the evaluation model (EvalHidden, EvalBatch) over a
// vocabulary of Vocab words.
type RNNSize struct {
	Vocab      int `json:"vocab"`
	Hidden     int `json:"hidden"`
	Batch      int `json:"batch"`
	BPTT       int `json:"bptt"`
	EvalHidden int `json:"eval_hidden"`
	EvalBatch  int `json:"eval_batch"`
}

// RNNSizes are the recurrent shapes under the names of Sizes: the
// reference's search (300 units, batch 256) and retraining (850 units,
// batch 64) over PTB's 10 000 words, the KJV demo's (64 units, batch 32)
// and a tiny one for tests.
var RNNSizes = map[string]RNNSize{
	"paper": {Vocab: 10000, Hidden: 300, Batch: 256, BPTT: 35, EvalHidden: 850, EvalBatch: 64},
	"demo":  {Vocab: 10000, Hidden: 64, Batch: 32, BPTT: 35, EvalHidden: 64, EvalBatch: 32},
	"tiny":  {Vocab: 50, Hidden: 8, Batch: 4, BPTT: 6, EvalHidden: 8, EvalBatch: 4},
}

// swapBackend lets a benchmark count the FLOPs of its first step through
// a Counter and time the others on the plain backend, in a model built once.
type swapBackend struct{ kernels.Backend }

// runRNN measures the items on the recurrent space at the size named as sz
// (RNNSizes): search1, search2 (a whole search step: α step and w step on
// windows of the synthetic corpus), eval (a retraining step of DARTS_V2's
// cell) and eigen (the dominant eigenvalue w.r.t. α); exact is refused.
func runRNN(ctx context.Context, o Options, sz Size, item string) (Result, error) {
	rs, ok := RNNSizes[sz.Name]
	if !ok {
		return Result{}, fmt.Errorf("benchmark: no recurrent size %q (have paper, demo, tiny)", sz.Name)
	}
	var r Result
	var err error
	switch item {
	case ItemSearch1, ItemSearch2, ItemEigen:
		r, err = rnnSearchItem(ctx, o, rs, item)
	case ItemEval:
		r, err = rnnEvalStep(ctx, o, rs)
	default:
		return Result{}, fmt.Errorf("benchmark: item %s is not measured on the recurrent space (it has search1, search2, eval, eigen)", item)
	}
	r.RNN = &rs
	return r, err
}

// rnnCorpus holds enough tokens for every timed window of batch columns.
func rnnCorpus(o Options, vocab, batch, bptt int) *corpus.Corpus {
	n := batch * (bptt*(o.Warmup+o.Steps+2) + 3)
	return corpus.Synthetic(vocab, n, n, batch*(bptt+3), o.Seed)
}

// rnnSearchItem times search steps (first or second order) or one
// eigenvalue of the one-shot model.
func rnnSearchItem(ctx context.Context, o Options, rs RNNSize, item string) (Result, error) {
	reset := ResetPeakRSS()
	src := rand.NewPCG(o.Seed, 7)
	cfg := rnnnet.SearchConfig(rs.Vocab)
	cfg.Hidden = rs.Hidden
	m, err := rnnnet.New(cfg, nil, rand.New(src))
	if err != nil {
		return Result{}, err
	}
	order := 1
	if item == ItemSearch2 {
		order = 2
	}
	k := &swapBackend{o.Backend}
	counter := NewCounter(o.Backend)
	s, err := rnnnet.NewSearch(m, rnnCorpus(o, rs.Vocab, rs.Batch, rs.BPTT), rnnnet.SearchSettings{Batch: rs.Batch, BPTT: rs.BPTT, Order: order}, k, src)
	if err != nil {
		return Result{}, err
	}
	res := Result{WParams: weightCount(m), NAlpha: m.Alpha.Value.Len()}
	if item == ItemEigen {
		k.Backend = counter
		c0, t0 := CPUTime(), time.Now()
		ev, err := m.DominantEigenvalue(k, s.EigenBatch(o.Seed), 1e-3, o.Seed)
		if err != nil {
			return Result{}, err
		}
		d, dc := time.Since(t0).Seconds(), CPUTime()-c0
		res.Step, res.CPU, res.FLOPs, res.EV, res.GradEvals = Summarize([]float64{d}), Summarize([]float64{dc}), counter.FLOPs(), ev.Value, ev.GradEvals
		res.PeakRSS, res.RSSReset = PeakRSS(), reset
		return res, nil
	}
	s.BeginEpoch()
	var tt, tc []float64
	tokens := 0
	for i := range o.Warmup + o.Steps {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if i == 0 {
			k.Backend = counter
		}
		c0, t0 := CPUTime(), time.Now()
		st, err := s.Step()
		if err != nil {
			return Result{}, err
		}
		d, dc := time.Since(t0).Seconds(), CPUTime()-c0
		k.Backend = o.Backend
		if i >= o.Warmup {
			tt, tc = append(tt, d), append(tc, dc)
			tokens += st.N * rs.Batch
		}
	}
	res.Step, res.CPU, res.FLOPs = Summarize(tt), Summarize(tc), counter.FLOPs()
	res.TokensPerSec = float64(tokens) / sum(tt)
	res.PeakRSS, res.RSSReset = PeakRSS(), reset
	return res, nil
}

// rnnEvalStep times retraining steps of DARTS_V2's recurrent cell at the
// evaluation model's size.
func rnnEvalStep(ctx context.Context, o Options, rs RNNSize) (Result, error) {
	reset := ResetPeakRSS()
	src := rand.NewPCG(o.Seed, 9)
	cfg := rnnnet.EvalConfig(rs.Vocab)
	cfg.Hidden = rs.EvalHidden
	g := space.RNNDARTSV2
	m, err := rnnnet.New(cfg, &g, rand.New(src))
	if err != nil {
		return Result{}, err
	}
	k := &swapBackend{o.Backend}
	counter := NewCounter(o.Backend)
	c := rnnCorpus(o, rs.Vocab, rs.EvalBatch, rs.BPTT+20) // windows reach BPTT+20
	tr, err := rnnnet.NewTrainer(m, c, rnnnet.TrainSettings{Batch: rs.EvalBatch, BPTT: rs.BPTT}, k, src)
	if err != nil {
		return Result{}, err
	}
	n := tr.BeginEpoch()
	var tt, tc []float64
	tokens := 0
	for i := range min(n, o.Warmup+o.Steps) {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if i == 0 {
			k.Backend = counter
		}
		c0, t0 := CPUTime(), time.Now()
		_, nt, err := tr.Step()
		if err != nil {
			return Result{}, err
		}
		d, dc := time.Since(t0).Seconds(), CPUTime()-c0
		k.Backend = o.Backend
		if i >= o.Warmup {
			tt, tc = append(tt, d), append(tc, dc)
			tokens += nt * rs.EvalBatch
		}
	}
	if len(tt) == 0 {
		return Result{}, fmt.Errorf("benchmark: the synthetic corpus held no timed retraining step")
	}
	return Result{Step: Summarize(tt), CPU: Summarize(tc), FLOPs: counter.FLOPs(), TokensPerSec: float64(tokens) / sum(tt),
		PeakRSS: PeakRSS(), RSSReset: reset, WParams: weightCount(m), Genotype: g.String()}, nil
}

func weightCount(m *rnnnet.Model) int {
	n := 0
	for _, w := range m.Weights() {
		n += w.Value.Len()
	}
	return n
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}
