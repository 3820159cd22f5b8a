// Package rnnnet is the recurrent network of DARTS' language-modelling
// space: the one-shot model whose cell mixes every activation on every edge
// (weighted by softmax(α)), the same model built from a genotype, and the
// first-order bilevel search over both on a word-level corpus.
//
// # The model (DARTS rnn/model.py and model_search.py)
//
// Words are embedded (V×D, uniform ±0.04), variational dropout (dropouti)
// is applied to the embeddings, a single recurrent cell runs over the
// sequence, variational dropout (dropout) is applied to its outputs, and a
// decoder whose weight is the embedding matrix itself (weight tying) plus a
// bias (zero at start) gives log-probabilities over the vocabulary; the loss
// is their mean negative log-likelihood. Embedding and hidden sizes are
// equal (D), as the reference requires for tying.
//
// The cell at time t (space package, RNNGenotype): with x_t and h_{t−1},
// masked by the input and hidden dropout masks (dropoutx, dropouth; drawn
// once per sequence and shared by every time step),
//
//	[c_0 | u_0] = [x_t ⊙ m_x | h_{t−1} ⊙ m_h]·W_0,  s_0 = h_{t−1} + σ(c_0) ⊙ (tanh(u_0) − h_{t−1})
//	[c | u]     = (s_j ⊙ m_h)·W_i,                   node i ← s_j + σ(c) ⊙ (f(u) − s_j)
//
// and h_t is the mean of the states in concat (1..8). The one-shot cell sums
// node i over all j < i and the four activations, each term weighted by its
// entry of softmax(α) (none adds nothing), and applies a batch norm without
// affine parameters to s_0 and every node (one set of running statistics,
// as the reference's single nn.BatchNorm1d). Embedding row dropout
// (dropoute) is supported and off in the search, as in the reference.
//
// A consequence of that single batch norm, the reference's too: in
// evaluation mode every node is normalised by running statistics that mix
// all nine states (whose scales differ: node i sums i edges), so the
// one-shot model's evaluation-mode perplexity is much worse than its
// training-mode one (in the tests, 36 against 3.2 without dropout). The
// search itself runs in training mode throughout, and the paper's numbers
// come from retraining the derived genotype, whose cell has no batch norm.
//
// Hidden states carry over between consecutive windows of a batch column
// and are cut off from the graph there (truncated back-propagation).
//
// # Randomness
//
// Every random draw (initial weights and α, dropout masks, window lengths)
// comes from one *rand.Rand the caller owns, in a fixed order, so a search
// is deterministic for a seed.
package rnnnet

import (
	"fmt"
	"math/rand/v2"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/tensor"
)

// InitRange is the half-width of the uniform initialisation of the
// embedding and the cell's matrices (the reference's INITRANGE).
const InitRange = 0.04

// Config sizes a model and sets its dropout probabilities.
type Config struct {
	Vocab  int // vocabulary size V
	Hidden int // embedding and hidden size D (300 in the search, 850 in the evaluation)
	Steps  int // intermediate nodes of the one-shot cell (space.RNNSteps); ignored with a genotype

	DropOut float64 // variational dropout on the cell's outputs (0.75)
	DropH   float64 // hidden dropout inside the cell (0.25)
	DropX   float64 // input dropout inside the cell (0.75)
	DropI   float64 // variational dropout on the embeddings (0.2)
	DropE   float64 // embedding row dropout (0 in the search, 0.1 in the evaluation)
}

// SearchConfig returns the reference search model's configuration for a
// vocabulary of the given size.
func SearchConfig(vocab int) Config {
	return Config{Vocab: vocab, Hidden: 300, Steps: space.RNNSteps,
		DropOut: 0.75, DropH: 0.25, DropX: 0.75, DropI: 0.2, DropE: 0}
}

// Validate checks sizes and probabilities.
func (c Config) Validate() error {
	switch {
	case c.Vocab < 2:
		return fmt.Errorf("rnnnet: vocabulary of %d words, want ≥ 2", c.Vocab)
	case c.Hidden < 1:
		return fmt.Errorf("rnnnet: hidden size %d, want ≥ 1", c.Hidden)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"dropout", c.DropOut}, {"dropouth", c.DropH}, {"dropoutx", c.DropX}, {"dropouti", c.DropI}, {"dropoute", c.DropE}} {
		if !(p.v >= 0 && p.v < 1) {
			return fmt.Errorf("rnnnet: %s %v, want a probability in [0, 1)", p.name, p.v)
		}
	}
	return nil
}

// acts are the one-shot edge's activations, in α-column order after none.
var acts = []autograd.Act{autograd.ActTanh, autograd.ActReLU, autograd.ActSigmoid, autograd.ActIdentity}

// actOf maps a genotype's op name to its activation.
var actOf = map[string]autograd.Act{
	space.RNNTanh: autograd.ActTanh, space.RNNReLU: autograd.ActReLU,
	space.RNNSigmoid: autograd.ActSigmoid, space.RNNIdentity: autograd.ActIdentity,
}

// Model is a recurrent language model: one-shot (Genotype nil, Alpha set)
// or discrete.
type Model struct {
	Cfg      Config
	Genotype *space.RNNGenotype // nil for the one-shot model

	Embed   *autograd.Var   // V×D; also the decoder's weight
	DecBias *autograd.Var   // V
	W0      *autograd.Var   // 2D×2D: [c_0 | u_0] from [x | h] (stored output-major, as Linear wants)
	Ws      []*autograd.Var // per node, 2D×D
	Alpha   *autograd.Var   // RNNEdges(Steps)×5 logits; nil for a discrete model
	BN      *autograd.BNState

	one *tensor.Tensor // the weight 1 of a discrete node
}

// New builds a model: the one-shot model when g is nil, else g's cell
// (checked with Validate). Weights and α are drawn from rng: the uniform
// ±InitRange of the reference, and α from N(0, 1e-3²).
func New(cfg Config, g *space.RNNGenotype, rng *rand.Rand) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Cfg: cfg, one: tensor.From([]float32{1}, 1)}
	steps := cfg.Steps
	if g != nil {
		if err := g.Validate(); err != nil {
			return nil, fmt.Errorf("rnnnet: %w", err)
		}
		gc := RNNClone(*g)
		m.Genotype = &gc
		steps = len(g.Recurrent)
	} else if steps < 1 {
		return nil, fmt.Errorf("rnnnet: a one-shot cell of %d nodes, want ≥ 1", steps)
	}
	d := cfg.Hidden
	uniform := func(shape ...int) *autograd.Var {
		t := tensor.New(shape...)
		for i := range t.Data {
			t.Data[i] = float32((rng.Float64()*2 - 1) * InitRange)
		}
		return autograd.Leaf(t, true)
	}
	m.Embed = uniform(cfg.Vocab, d)
	m.DecBias = autograd.Leaf(tensor.New(cfg.Vocab), true)
	m.W0 = uniform(2*d, 2*d)
	for i := 0; i < steps; i++ {
		m.Ws = append(m.Ws, uniform(2*d, d))
	}
	if g == nil {
		a := tensor.New(space.RNNEdges(steps), len(space.RNNOps()))
		for i := range a.Data {
			a.Data[i] = float32(1e-3 * rng.NormFloat64())
		}
		m.Alpha = autograd.Leaf(a, false)
		m.BN = autograd.NewBNState(d)
	}
	return m, nil
}

// RNNClone returns a deep copy of a genotype.
func RNNClone(g space.RNNGenotype) space.RNNGenotype {
	return space.RNNGenotype{Recurrent: append([]space.Pair(nil), g.Recurrent...), Concat: append([]int(nil), g.Concat...)}
}

// Weights returns the network weights w (everything but α), in a fixed order.
func (m *Model) Weights() []*autograd.Var {
	return append([]*autograd.Var{m.Embed, m.DecBias, m.W0}, m.Ws...)
}

// Steps is the number of intermediate nodes of the cell.
func (m *Model) Steps() int { return len(m.Ws) }

// Derive is the genotype of the one-shot model's α (space.DeriveRNN); for a
// discrete model, its own genotype.
func (m *Model) Derive() space.RNNGenotype {
	if m.Genotype != nil {
		return RNNClone(*m.Genotype)
	}
	k := len(space.RNNOps())
	rows := make([][]float64, m.Alpha.Value.Len()/k)
	for e := range rows {
		rows[e] = make([]float64, k)
		for j := range rows[e] {
			rows[e][j] = float64(m.Alpha.Value.Data[e*k+j])
		}
	}
	return space.DeriveRNN(rows)
}

// Masks are the dropout masks of one training pass: each holds 0 for a
// dropped unit and 1/(1−p) for a kept one; nil where the probability is 0.
type Masks struct {
	Row           []float32 // V: embedding row dropout
	In, X, H, Out []float32 // B×D: embeddings, cell input, cell hidden, outputs
}

// DrawMasks draws the masks of one training pass over a batch of b columns,
// in the reference's order: embedding rows, embeddings, cell input and
// hidden, outputs.
func (m *Model) DrawMasks(rng *rand.Rand, b int) *Masks {
	c := m.Cfg
	bd := b * c.Hidden
	return &Masks{
		Row: bernoulli(rng, c.Vocab, c.DropE),
		In:  bernoulli(rng, bd, c.DropI),
		X:   bernoulli(rng, bd, c.DropX),
		H:   bernoulli(rng, bd, c.DropH),
		Out: bernoulli(rng, bd, c.DropOut),
	}
}

// bernoulli returns n values: 1/(1−p) with probability 1−p, else 0; nil
// for p = 0.
func bernoulli(rng *rand.Rand, n int, p float64) []float32 {
	if p == 0 {
		return nil
	}
	keep := 1 - p
	out := make([]float32, n)
	for i := range out {
		if rng.Float64() < keep {
			out[i] = float32(1 / keep)
		}
	}
	return out
}

// Output is what a forward pass over one window returns.
type Output struct {
	Loss   *autograd.Var // mean negative log-likelihood of the targets
	TAR    *autograd.Var // mean squared change of the cell output between consecutive steps (nil for one step)
	Hidden []float32     // h at the window's last step, B×D, for the next window
}

// Forward runs the model over a window: x and y are n·B token ids,
// time-major (corpus.Batched.Window), hidden is h before the first step
// (B×D, nil for zeros). With masks (DrawMasks) it is a training pass:
// dropout on and batch norm on batch statistics (updating the running
// ones); with nil masks, an evaluation pass. It panics on ids outside the
// vocabulary or mismatched sizes.
func (m *Model) Forward(tp *autograd.Tape, x, y []int32, n int, hidden []float32, masks *Masks) Output {
	d := m.Cfg.Hidden
	if n < 1 || len(x) != len(y) || len(x)%n != 0 {
		panic(fmt.Sprintf("rnnnet: Forward: %d inputs, %d targets for %d steps", len(x), len(y), n))
	}
	b := len(x) / n
	if hidden == nil {
		hidden = make([]float32, b*d)
	}
	if len(hidden) != b*d {
		panic(fmt.Sprintf("rnnnet: Forward: hidden of %d values for batch %d × %d", len(hidden), b, d))
	}
	train := masks != nil
	if !train {
		masks = &Masks{}
	}
	mask := func(v *autograd.Var, mk []float32) *autograd.Var {
		if mk == nil {
			return v
		}
		return tp.MulMask(v, mk)
	}
	var probs *autograd.Var
	if m.Alpha != nil {
		probs = tp.Reshape(tp.Softmax(m.Alpha), m.Alpha.Value.Len())
	}
	h := tp.Const(tensor.From(append([]float32(nil), hidden...), b, d))
	outs := make([]*autograd.Var, n)
	for t := 0; t < n; t++ {
		emb := mask(tp.Embedding(m.Embed, x[t*b:(t+1)*b], masks.Row), masks.In)
		h = m.cell(tp, emb, h, probs, masks, train)
		outs[t] = h
	}
	raw := tp.StackRows(outs...) // n×B×D
	flat := mask(tp.Reshape(raw, n*b, d), masks.Out)
	logits := tp.Linear(flat, m.Embed, m.DecBias)
	out := Output{Loss: tp.VocabNLL(logits, y), Hidden: append([]float32(nil), h.Value.Data...)}
	if n > 1 {
		diff := tp.Sub(tp.Rows(raw, 1, n), tp.Rows(raw, 0, n-1))
		out.TAR = tp.Mean(tp.Mul(diff, diff))
	}
	return out
}

// cell is one time step: h_t from x_t and h_{t−1}.
func (m *Model) cell(tp *autograd.Tape, x, hPrev, probs *autograd.Var, masks *Masks, train bool) *autograd.Var {
	mask := func(v *autograd.Var, mk []float32) *autograd.Var {
		if mk == nil {
			return v
		}
		return tp.MulMask(v, mk)
	}
	one := tp.Const(m.one)
	ch0 := tp.Linear(tp.ConcatCols(mask(x, masks.X), mask(hPrev, masks.H)), m.W0, nil)
	s0 := tp.Highway(one, 0, []autograd.Act{autograd.ActTanh}, hPrev, ch0)
	if m.Genotype != nil {
		states := []*autograd.Var{s0}
		for i, p := range m.Genotype.Recurrent {
			src := states[p.Source]
			ch := tp.Linear(mask(src, masks.H), m.Ws[i], nil)
			states = append(states, tp.Highway(one, 0, []autograd.Act{actOf[p.Op]}, src, ch))
		}
		picked := make([]*autograd.Var, len(m.Genotype.Concat))
		for k, c := range m.Genotype.Concat {
			picked[k] = states[c]
		}
		return tp.Scale(tp.AddN(picked...), 1/float32(len(picked)))
	}
	k := len(space.RNNOps())
	states := []*autograd.Var{m.bn(tp, s0, train)}
	masked := []*autograd.Var{mask(states[0], masks.H)}
	for i := 1; i <= len(m.Ws); i++ {
		terms := make([]*autograd.Var, i)
		for j := 0; j < i; j++ {
			ch := tp.Linear(masked[j], m.Ws[i-1], nil)
			terms[j] = tp.Highway(probs, space.RNNEdge(i, j)*k+1, acts, states[j], ch)
		}
		s := m.bn(tp, tp.AddN(terms...), train)
		states = append(states, s)
		masked = append(masked, mask(s, masks.H))
	}
	return tp.Scale(tp.AddN(states[1:]...), 1/float32(len(m.Ws)))
}

// bn is the one-shot cell's batch norm (no affine parameters) on B×D.
func (m *Model) bn(tp *autograd.Tape, s *autograd.Var, train bool) *autograd.Var {
	b, d := s.Shape()[0], s.Shape()[1]
	return tp.Reshape(tp.BatchNorm(tp.Reshape(s, b, d, 1, 1), nil, nil, m.BN, train), b, d)
}
