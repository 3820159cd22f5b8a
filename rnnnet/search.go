package rnnnet

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/corpus"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/optim"
)

// SearchSettings are the hyperparameters of the recurrent search. The zero
// value of a field means the reference's value (DARTS rnn/train_search.py),
// given in brackets.
type SearchSettings struct {
	Batch     int     // training and α batch columns [256]
	EvalBatch int     // batch columns of the validation perplexity [10]
	BPTT      int     // window length [35]
	LR        float64 // SGD learning rate on w [20]
	Clip      float64 // gradient-norm clip on w [0.25]
	WD        float64 // weight decay on w [5e-7]; negative: none
	ArchLR    float64 // Adam learning rate on α [3e-3]
	ArchWD    float64 // Adam weight decay on α [1e-3]; negative: none
	TAR       float64 // temporal activation regularisation β on w's loss [1e-3]; negative turns it off
	Order     int     // 1: first-order α gradient [1]; 2: the unrolled (second-order) one
	// HVPAtW takes the second-order term's finite differences around w,
	// which makes the α gradient the exact derivative of L_val(w'(α), α)
	// (and is what DARTS' CNN Architect does); by default they are taken
	// around the unrolled w', as DARTS' rnn Architect does.
	HVPAtW bool
}

func (s SearchSettings) withDefaults() SearchSettings {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if s.Batch == 0 {
		s.Batch = 256
	}
	if s.EvalBatch == 0 {
		s.EvalBatch = 10
	}
	if s.BPTT == 0 {
		s.BPTT = 35
	}
	def(&s.LR, 20)
	def(&s.Clip, 0.25)
	def(&s.WD, 5e-7)
	def(&s.ArchLR, 3e-3)
	def(&s.ArchWD, 1e-3)
	def(&s.TAR, 1e-3)
	for _, v := range []*float64{&s.TAR, &s.WD, &s.ArchWD} {
		if *v < 0 {
			*v = 0
		}
	}
	if s.Order == 0 {
		s.Order = 1
	}
	return s
}

// Search is the first-order bilevel search of the recurrent cell: per step
// an Adam step on α from a validation window, then an SGD step on w from a
// training window (DARTS' rnn Architect with unrolled=false).
//
// The training stream is read in windows whose length is BPTT with
// probability 0.95 and ⌊BPTT/2⌋ otherwise, and the learning rate of each
// step is scaled by length/BPTT (the reference's variable-length sampling);
// the α window is a full BPTT window of the validation stream (batched
// with Batch columns) at the same offset, modulo its length. Hidden states
// carry over between windows, one for the training and one for the
// validation stream.
type Search struct {
	Model    *Model
	Settings SearchSettings

	k                    kernels.Backend
	src                  *rand.PCG
	rng                  *rand.Rand
	epoch                int
	train, search, valid *corpus.Batched
	sgd                  *optim.SGD
	adam                 *optim.Adam
	hidden, hiddenValid  []float32
	plan                 EpochPlan
	tape                 *autograd.Tape
}

// NewSearch prepares a search of m (a one-shot model) on c: the training
// split for w, the validation split for α (Batch columns) and for the
// validation perplexity (EvalBatch columns). src draws the masks and window
// lengths; it is part of the search's State.
func NewSearch(m *Model, c *corpus.Corpus, set SearchSettings, k kernels.Backend, src *rand.PCG) (*Search, error) {
	if m.Alpha == nil {
		return nil, fmt.Errorf("rnnnet: a search needs the one-shot model, not a genotype's")
	}
	if c.Vocab.Len() != m.Cfg.Vocab {
		return nil, fmt.Errorf("rnnnet: the corpus has %d words, the model %d", c.Vocab.Len(), m.Cfg.Vocab)
	}
	set = set.withDefaults()
	if set.Batch < 1 || set.EvalBatch < 1 || set.BPTT < 2 {
		return nil, fmt.Errorf("rnnnet: batch %d, eval batch %d, bptt %d: want ≥ 1, ≥ 1, ≥ 2", set.Batch, set.EvalBatch, set.BPTT)
	}
	if set.Order != 1 && set.Order != 2 {
		return nil, fmt.Errorf("rnnnet: order %d, want 1 or 2", set.Order)
	}
	s := &Search{Model: m, Settings: set, k: k, src: src, rng: rand.New(src), tape: autograd.NewTape(k)}
	var err error
	if s.train, err = corpus.Batchify(c.Train, set.Batch); err != nil {
		return nil, fmt.Errorf("rnnnet: training split: %w", err)
	}
	if s.search, err = corpus.Batchify(c.Valid, set.Batch); err != nil {
		return nil, fmt.Errorf("rnnnet: validation split for α: %w", err)
	}
	if s.valid, err = corpus.Batchify(c.Valid, set.EvalBatch); err != nil {
		return nil, fmt.Errorf("rnnnet: validation split: %w", err)
	}
	if s.train.Steps < 3 {
		return nil, fmt.Errorf("rnnnet: the training split's %d tokens make columns of %d tokens for batch %d; a step needs at least 3", len(c.Train), s.train.Steps, set.Batch)
	}
	s.sgd = &optim.SGD{LR: set.LR, WeightDecay: set.WD}
	s.adam = &optim.Adam{LR: set.ArchLR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: set.ArchWD}
	return s, nil
}

func params(vs []*autograd.Var) []optim.Param {
	ps := make([]optim.Param, len(vs))
	for i, v := range vs {
		ps[i] = optim.Param{Value: v.Value.Data, Grad: v.Grad.Data}
	}
	return ps
}

// requires sets which leaves get gradients: α or w.
func (s *Search) requires(alpha bool) {
	s.Model.Alpha.SetRequires(alpha)
	for _, w := range s.Model.Weights() {
		w.SetRequires(!alpha)
	}
}

// EpochStats summarise one epoch of the search.
type EpochStats struct {
	Steps     int
	TrainLoss float64 // mean training NLL over the epoch's windows (token-weighted)
	ValidLoss float64 // mean NLL of the α windows
}

// StepStats report one search step.
type StepStats struct {
	TrainLoss, ValidLoss float64 // the step's training and α-window NLL
	N, VN                int     // their window lengths
}

// EpochPlan is the schedule of the epoch in progress and its running sums
// (part of SearchState, for a resume in the middle of an epoch).
type EpochPlan struct {
	Offsets, Lengths   []int // per step: the training window's start and drawn length
	Next               int   // the next step to run
	TrainSum, ValidSum float64
	TrainTok, ValidTok int
}

// BeginEpoch starts an epoch: both hidden states at zero (as the
// reference's train()) and the window lengths drawn for the whole pass over
// the training stream. It returns the number of steps.
func (s *Search) BeginEpoch() int {
	set := s.Settings
	s.hidden, s.hiddenValid = nil, nil
	s.plan = EpochPlan{}
	for i := 0; i < s.train.Steps-2; {
		seqLen := set.BPTT
		if s.rng.Float64() >= 0.95 {
			seqLen = set.BPTT / 2
		}
		s.plan.Offsets = append(s.plan.Offsets, i)
		s.plan.Lengths = append(s.plan.Lengths, seqLen)
		i += min(seqLen, s.train.Steps-1-i)
	}
	return len(s.plan.Offsets)
}

// Step runs the epoch's next step: an α step on the validation window at
// the same offset (modulo its length), then a w step on the training
// window, with the learning rate scaled by the drawn length over BPTT. It
// fails if a loss becomes NaN or Inf; the search is then in a state between
// steps, not to be continued.
func (s *Search) Step() (StepStats, error) {
	set, m, p := s.Settings, s.Model, &s.plan
	if p.Next >= len(p.Offsets) {
		panic("rnnnet: Search.Step past the end of the epoch (call BeginEpoch)")
	}
	i, seqLen := p.Offsets[p.Next], p.Lengths[p.Next]
	lr := set.LR * float64(seqLen) / float64(set.BPTT)
	vx, vy, vn := s.search.Window(i%(s.search.Steps-1), set.BPTT)
	x, y, n := s.train.Window(i, seqLen)
	var vl float64
	var err error
	if set.Order == 2 {
		vl, err = s.unrolledAlphaGrad(x, y, n, vx, vy, vn, lr)
	} else {
		vl, err = s.alphaGrad(vx, vy, vn)
	}
	if err != nil {
		return StepStats{}, fmt.Errorf("%w at step %d", err, p.Next)
	}
	s.adam.Step([]optim.Param{{Value: m.Alpha.Value.Data, Grad: m.Alpha.Grad.Data}})
	// w step on the training window.
	s.requires(false)
	for _, w := range m.Weights() {
		w.ZeroGrad()
	}
	s.tape.Reset()
	out := m.Forward(s.tape, x, y, n, s.hidden, m.DrawMasks(s.rng, set.Batch))
	tl := float64(out.Loss.Value.Data[0])
	if math.IsNaN(tl) || math.IsInf(tl, 0) {
		return StepStats{}, fmt.Errorf("rnnnet: training loss %v at step %d", tl, p.Next)
	}
	loss := out.Loss
	if set.TAR > 0 && out.TAR != nil {
		loss = s.tape.Sum([]*autograd.Var{out.Loss, out.TAR}, []float32{1, float32(set.TAR)})
	}
	s.tape.Backward(loss)
	s.hidden = out.Hidden
	ps := params(m.Weights())
	optim.ClipGradNorm(ps, set.Clip)
	s.sgd.LR = lr
	s.sgd.Step(ps)
	s.sgd.LR = set.LR
	s.tape.Reset()
	p.TrainSum += tl * float64(n)
	p.TrainTok += n
	p.ValidSum += vl * float64(vn)
	p.ValidTok += vn
	p.Next++
	return StepStats{TrainLoss: tl, ValidLoss: vl, N: n, VN: vn}, nil
}

// EndEpoch closes an epoch whose steps have all run and returns its stats.
func (s *Search) EndEpoch() EpochStats {
	p := s.plan
	if p.Next != len(p.Offsets) {
		panic(fmt.Sprintf("rnnnet: Search.EndEpoch after %d of %d steps", p.Next, len(p.Offsets)))
	}
	s.requires(false)
	s.epoch++
	st := EpochStats{Steps: p.Next}
	if p.TrainTok > 0 {
		st.TrainLoss = p.TrainSum / float64(p.TrainTok)
		st.ValidLoss = p.ValidSum / float64(p.ValidTok)
	}
	return st
}

// Epoch runs a whole epoch: BeginEpoch, every Step, EndEpoch.
func (s *Search) Epoch() (EpochStats, error) {
	for n := s.BeginEpoch(); s.plan.Next < n; {
		if _, err := s.Step(); err != nil {
			return EpochStats{}, err
		}
	}
	return s.EndEpoch(), nil
}

// alphaGrad leaves ∇_α L_val(w, α) of a validation window in α's gradient
// and returns the loss (first order).
func (s *Search) alphaGrad(vx, vy []int32, vn int) (float64, error) {
	m := s.Model
	s.requires(true)
	m.Alpha.ZeroGrad()
	s.tape.Reset()
	out := m.Forward(s.tape, vx, vy, vn, s.hiddenValid, m.DrawMasks(s.rng, s.Settings.Batch))
	vl := float64(out.Loss.Value.Data[0])
	if math.IsNaN(vl) || math.IsInf(vl, 0) {
		return vl, fmt.Errorf("rnnnet: validation loss %v", vl)
	}
	s.tape.Backward(out.Loss)
	s.hiddenValid = out.Hidden
	return vl, nil
}

// unrolledAlphaGrad leaves the second-order α gradient of DARTS' rnn
// Architect in α's gradient and returns the validation loss:
//
//	w' = w − η·(clip(∇_w L_train(w, α)) + wd·w)
//	v  = clip(∇_w' L_val(w', α)) + wd·w'
//	∇_α L_val(w', α) − η·(∇_α L_train(w'+R·v, α) − ∇_α L_train(w'−R·v, α))/(2R),  R = 0.01/‖v‖
//
// with η the step's learning rate and the training losses without TAR, each
// forward pass with fresh dropout masks. The reference evaluates the
// finite-difference term around w' (its rnn Architect perturbs the unrolled
// model; the CNN one perturbs w); rdarts follows it unless HVPAtW is set,
// which gives the exact derivative (TestUnrolledGradient). w is restored
// from a copy afterwards, not by arithmetic.
func (s *Search) unrolledAlphaGrad(x, y []int32, n int, vx, vy []int32, vn int, eta float64) (float64, error) {
	m, set := s.Model, s.Settings
	ws := m.Weights()
	saved := make([][]float32, len(ws))
	for i, w := range ws {
		saved[i] = append([]float32(nil), w.Value.Data...)
	}
	defer func() {
		for i, w := range ws {
			copy(w.Value.Data, saved[i])
		}
	}()
	// w' = w − η(clip(g) + wd·w).
	s.requires(false)
	for _, w := range ws {
		w.ZeroGrad()
	}
	s.tape.Reset()
	out := m.Forward(s.tape, x, y, n, s.hidden, m.DrawMasks(s.rng, set.Batch))
	if l := float64(out.Loss.Value.Data[0]); math.IsNaN(l) || math.IsInf(l, 0) {
		return l, fmt.Errorf("rnnnet: training loss %v in the unrolled step", l)
	}
	s.tape.Backward(out.Loss)
	optim.ClipGradNorm(params(ws), set.Clip)
	for _, w := range ws {
		for j, g := range w.Grad.Data {
			w.Value.Data[j] -= float32(eta * (float64(g) + set.WD*float64(w.Value.Data[j])))
		}
	}
	// L_val(w', α): ∇_α and ∇_w'.
	m.Alpha.SetRequires(true)
	m.Alpha.ZeroGrad()
	for _, w := range ws {
		w.ZeroGrad()
	}
	s.tape.Reset()
	out = m.Forward(s.tape, vx, vy, vn, s.hiddenValid, m.DrawMasks(s.rng, set.Batch))
	vl := float64(out.Loss.Value.Data[0])
	if math.IsNaN(vl) || math.IsInf(vl, 0) {
		return vl, fmt.Errorf("rnnnet: validation loss %v", vl)
	}
	s.tape.Backward(out.Loss)
	s.hiddenValid = out.Hidden
	dAlpha := append([]float32(nil), m.Alpha.Grad.Data...)
	optim.ClipGradNorm(params(ws), set.Clip)
	v := make([][]float32, len(ws))
	var norm float64
	for i, w := range ws {
		v[i] = make([]float32, len(w.Grad.Data))
		for j, g := range w.Grad.Data {
			v[i][j] = g + float32(set.WD)*w.Value.Data[j]
			norm += float64(v[i][j]) * float64(v[i][j])
		}
	}
	if norm == 0 {
		return vl, nil // no second-order term
	}
	r := 0.01 / math.Sqrt(norm)
	centre := saved
	if !set.HVPAtW {
		centre = make([][]float32, len(ws))
		for i, w := range ws {
			centre[i] = append([]float32(nil), w.Value.Data...)
		}
	}
	// ∇_α L_train at w' ± R·v.
	s.requires(true)
	var gpm [2][]float32
	for k, sign := range []float64{1, -1} {
		for i, w := range ws {
			for j := range w.Value.Data {
				w.Value.Data[j] = centre[i][j] + float32(sign*r)*v[i][j]
			}
		}
		m.Alpha.ZeroGrad()
		s.tape.Reset()
		out = m.Forward(s.tape, x, y, n, s.hidden, m.DrawMasks(s.rng, set.Batch))
		s.tape.Backward(out.Loss)
		gpm[k] = append([]float32(nil), m.Alpha.Grad.Data...)
	}
	for j := range dAlpha {
		hvp := (float64(gpm[0][j]) - float64(gpm[1][j])) / (2*r + 1e-10)
		m.Alpha.Grad.Data[j] = float32(float64(dAlpha[j]) - eta*hvp)
	}
	return vl, nil
}

// Validate is the mean validation NLL of the model in evaluation mode
// (EvalBatch columns, BPTT windows); exp of it is the perplexity.
func (s *Search) Validate() float64 {
	return Evaluate(s.Model, s.valid, s.Settings.BPTT, s.k)
}

// Evaluate is the mean negative log-likelihood per predicted token of m on
// a batched stream, read in windows of bptt with the hidden state carried
// over, in evaluation mode (no dropout, batch norm on running statistics).
// The reference divides the sum by one token more than it predicts
// (len(data_source)); rdarts takes the exact mean.
func Evaluate(m *Model, data *corpus.Batched, bptt int, k kernels.Backend) float64 {
	tp := autograd.NewTape(k)
	tp.NoGrad = true
	var hidden []float32
	var sum float64
	tokens := 0
	for i := 0; i < data.Steps-1; i += bptt {
		x, y, n := data.Window(i, bptt)
		tp.Reset()
		out := m.Forward(tp, x, y, n, hidden, nil)
		hidden = out.Hidden
		sum += float64(out.Loss.Value.Data[0]) * float64(n)
		tokens += n
	}
	return sum / float64(tokens)
}

// Perplexity is exp(loss), the language-modelling score.
func Perplexity(loss float64) float64 { return math.Exp(loss) }

// Steps is the number of steps of the epoch in progress (BeginEpoch's
// answer), and Next the next step to run.
func (s *Search) Steps() (n, next int) { return len(s.plan.Offsets), s.plan.Next }
