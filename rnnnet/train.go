package rnnnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/corpus"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/optim"
)

// EvalConfig returns the configuration of the reference's evaluation model
// (DARTS rnn/train.py) for a vocabulary of the given size: 850 units and
// its dropouts (embedding row dropout 0, its default).
func EvalConfig(vocab int) Config {
	return Config{Vocab: vocab, Hidden: 850, DropOut: 0.75, DropH: 0.25, DropX: 0.75, DropI: 0.2, DropE: 0}
}

// TrainSettings are the hyperparameters of retraining a genotype. The zero
// value of a field means the reference's value (rnn/train.py), in brackets.
type TrainSettings struct {
	Batch       int     // training batch columns [64]
	EvalBatch   int     // validation batch columns [10]
	TestBatch   int     // test batch columns [1]
	BPTT        int     // mean window length [35]
	LR          float64 // learning rate of SGD, then ASGD [20]
	Clip        float64 // gradient-norm clip [0.25]
	WD          float64 // weight decay [8e-7]; negative: none
	TAR         float64 // temporal activation regularisation β [1e-3]; negative turns it off
	NonMono     int     // switch to ASGD when validation is worse than the best before the last NonMono epochs [5]
	MaxSeqDelta int     // windows are at most BPTT+MaxSeqDelta long [20]
}

func (s TrainSettings) withDefaults() TrainSettings {
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defInt(&s.Batch, 64)
	defInt(&s.EvalBatch, 10)
	defInt(&s.TestBatch, 1)
	defInt(&s.BPTT, 35)
	defInt(&s.NonMono, 5)
	defInt(&s.MaxSeqDelta, 20)
	defF(&s.LR, 20)
	defF(&s.Clip, 0.25)
	defF(&s.WD, 8e-7)
	defF(&s.TAR, 1e-3)
	for _, v := range []*float64{&s.TAR, &s.WD} {
		if *v < 0 {
			*v = 0
		}
	}
	return s
}

// Trainer retrains a genotype's model as the reference does: SGD on
// windows of random length (BPTT with probability 0.95, else BPTT/2, then
// N(that, 5²), at least 5 and at most BPTT+MaxSeqDelta; the learning rate
// scaled by length/BPTT), switching for good to averaged SGD (optim.ASGD)
// once the validation loss is worse than the best one before the last
// NonMono epochs; the validation loss of an ASGD epoch is that of the
// averaged weights. The best weights so far (by validation loss; averaged
// ones after the switch) are kept, and a NaN or Inf loss rolls back to
// them with their optimiser state, as the reference does.
type Trainer struct {
	Model    *Model
	Settings TrainSettings

	k                   kernels.Backend
	src                 *rand.PCG
	rng                 *rand.Rand
	plan                TrainPlan
	hidden              []float32
	train, valid, test  *corpus.Batched
	sgd                 *optim.SGD
	asgd                *optim.ASGD
	history             []float64
	best                *snapshot
	epoch               int
	tape                *autograd.Tape
	consecutiveRollback int
}

// snapshot is what a rollback returns to.
type snapshot struct {
	weights [][]float32
	sgd     optim.SGDState
	asgd    *optim.ASGDState
	epoch   int
	loss    float64
}

// NewTrainer prepares the retraining of m (a genotype's model) on c; src
// draws the masks and window lengths.
func NewTrainer(m *Model, c *corpus.Corpus, set TrainSettings, k kernels.Backend, src *rand.PCG) (*Trainer, error) {
	if m.Genotype == nil {
		return nil, fmt.Errorf("rnnnet: retraining needs a genotype's model, not the one-shot model")
	}
	if c.Vocab.Len() != m.Cfg.Vocab {
		return nil, fmt.Errorf("rnnnet: the corpus has %d words, the model %d", c.Vocab.Len(), m.Cfg.Vocab)
	}
	set = set.withDefaults()
	if set.Batch < 1 || set.EvalBatch < 1 || set.TestBatch < 1 || set.BPTT < 2 || set.NonMono < 1 || set.MaxSeqDelta < 0 {
		return nil, fmt.Errorf("rnnnet: retraining settings %+v out of range", set)
	}
	t := &Trainer{Model: m, Settings: set, k: k, src: src, rng: rand.New(src), tape: autograd.NewTape(k)}
	var err error
	if t.train, err = corpus.Batchify(c.Train, set.Batch); err != nil {
		return nil, fmt.Errorf("rnnnet: training split: %w", err)
	}
	if t.valid, err = corpus.Batchify(c.Valid, set.EvalBatch); err != nil {
		return nil, fmt.Errorf("rnnnet: validation split: %w", err)
	}
	if t.test, err = corpus.Batchify(c.Test, set.TestBatch); err != nil {
		return nil, fmt.Errorf("rnnnet: test split: %w", err)
	}
	if t.train.Steps < 3 {
		return nil, fmt.Errorf("rnnnet: the training split's %d tokens make columns of %d tokens for batch %d; a step needs at least 3", len(c.Train), t.train.Steps, set.Batch)
	}
	t.sgd = &optim.SGD{LR: set.LR, WeightDecay: set.WD}
	return t, nil
}

// TrainEpoch reports one retraining epoch.
type TrainEpoch struct {
	Epoch      int     // 1-based, after a rollback the restored epoch's successor
	TrainLoss  float64 // mean training NLL (token-weighted)
	ValidLoss  float64 // validation NLL: of the averaged weights once Averaged
	Averaged   bool    // this epoch ran ASGD
	Improved   bool    // a new best validation loss: the weights were kept
	Switched   bool    // the validation loss triggered the switch to ASGD
	RolledBack bool    // a NaN/Inf loss sent the model back to the best weights
}

// TrainPlan is the retraining epoch in progress: the windows drawn at its
// start, the next one to run and the running sums (part of TrainerState,
// for a resume in the middle of an epoch).
type TrainPlan struct {
	Offsets, Lengths []int // per step: the window's start and drawn length
	Next             int   // the next step to run
	Sum              float64
	Tokens           int
	// RolledBack: a NaN/Inf loss sent the model back to the best weights;
	// the epoch's remaining steps do nothing. RollLoss is that loss.
	RolledBack bool
	RollLoss   float64
}

// BeginEpoch starts an epoch: the hidden state at zero and the window
// lengths drawn for the whole pass (BPTT with probability 0.95, else
// BPTT/2, then N(that, 5²), at least 5 and at most BPTT+MaxSeqDelta). It
// returns the number of steps.
func (t *Trainer) BeginEpoch() int {
	set := t.Settings
	t.hidden, t.plan = nil, TrainPlan{}
	for i := 0; i < t.train.Steps-2; {
		bptt := float64(set.BPTT)
		if t.rng.Float64() >= 0.95 {
			bptt /= 2
		}
		seqLen := max(5, int(bptt+5*t.rng.NormFloat64()))
		seqLen = min(seqLen, set.BPTT+set.MaxSeqDelta)
		t.plan.Offsets = append(t.plan.Offsets, i)
		t.plan.Lengths = append(t.plan.Lengths, seqLen)
		i += seqLen
	}
	return len(t.plan.Offsets)
}

// Steps is the epoch's step count and the next step to run.
func (t *Trainer) Steps() (n, next int) { return len(t.plan.Offsets), t.plan.Next }

// Step runs the epoch's next window: SGD (ASGD after the switch) with the
// learning rate scaled by the window's length over BPTT. It returns the
// window's loss and length (0 after a rollback, which skips the rest of
// the epoch). It fails on a NaN/Inf loss before any best weights exist, or
// after 10 rollbacks in a row.
func (t *Trainer) Step() (loss float64, n int, err error) {
	set, m, p := t.Settings, t.Model, &t.plan
	if p.Next >= len(p.Offsets) {
		panic("rnnnet: Trainer.Step past the end of the epoch (call BeginEpoch)")
	}
	i, seqLen := p.Offsets[p.Next], p.Lengths[p.Next]
	p.Next++
	if p.RolledBack {
		return 0, 0, nil
	}
	lr := set.LR * float64(seqLen) / float64(set.BPTT)
	ws := m.Weights()
	x, y, n := t.train.Window(i, seqLen)
	for _, w := range ws {
		w.ZeroGrad()
	}
	t.tape.Reset()
	out := m.Forward(t.tape, x, y, n, t.hidden, m.DrawMasks(t.rng, set.Batch))
	l := float64(out.Loss.Value.Data[0])
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return 0, 0, t.rollback(l)
	}
	total := out.Loss
	if set.TAR > 0 && out.TAR != nil {
		total = t.tape.Sum([]*autograd.Var{out.Loss, out.TAR}, []float32{1, float32(set.TAR)})
	}
	t.tape.Backward(total)
	t.hidden = out.Hidden
	ps := params(ws)
	optim.ClipGradNorm(ps, set.Clip)
	if t.asgd != nil {
		t.asgd.LR = lr
		t.asgd.Step(ps)
		t.asgd.LR = set.LR
	} else {
		t.sgd.LR = lr
		t.sgd.Step(ps)
		t.sgd.LR = set.LR
	}
	t.tape.Reset()
	p.Sum += l * float64(n)
	p.Tokens += n
	return l, n, nil
}

// EndEpoch closes an epoch whose steps have all run: it validates (the
// averaged weights once ASGD runs), keeps the best weights and decides the
// switch to ASGD.
func (t *Trainer) EndEpoch() TrainEpoch {
	set, m, p := t.Settings, t.Model, t.plan
	if p.Next != len(p.Offsets) {
		panic(fmt.Sprintf("rnnnet: Trainer.EndEpoch after %d of %d steps", p.Next, len(p.Offsets)))
	}
	t.plan, t.hidden = TrainPlan{}, nil
	if p.RolledBack {
		return TrainEpoch{Epoch: t.epoch, TrainLoss: p.RollLoss, ValidLoss: t.best.loss, Averaged: t.asgd != nil, RolledBack: true}
	}
	t.consecutiveRollback = 0
	t.epoch++
	r := TrainEpoch{Epoch: t.epoch, TrainLoss: p.Sum / float64(max(p.Tokens, 1)), Averaged: t.asgd != nil}
	if t.asgd != nil {
		restore := t.swapIn(t.averages())
		r.ValidLoss = Evaluate(m, t.valid, set.BPTT, t.k)
		if r.Improved = r.ValidLoss < t.bestLoss(); r.Improved {
			t.keep(r.ValidLoss)
		}
		restore()
		return r
	}
	r.ValidLoss = Evaluate(m, t.valid, set.BPTT, t.k)
	if r.Improved = r.ValidLoss < t.bestLoss(); r.Improved {
		t.keep(r.ValidLoss)
	}
	if r.Switched = shouldSwitch(t.history, r.ValidLoss, set.NonMono); r.Switched {
		t.asgd = &optim.ASGD{LR: set.LR, WeightDecay: set.WD}
	}
	t.history = append(t.history, r.ValidLoss)
	return r
}

// Epoch trains one pass over the training stream and validates:
// BeginEpoch, every Step, EndEpoch.
func (t *Trainer) Epoch() (TrainEpoch, error) {
	for n := t.BeginEpoch(); t.plan.Next < n; {
		if _, _, err := t.Step(); err != nil {
			return TrainEpoch{}, err
		}
	}
	return t.EndEpoch(), nil
}

// shouldSwitch is the reference's rule: more than nonmono earlier epochs,
// and a loss above the best of all but the last nonmono of them.
func shouldSwitch(history []float64, loss float64, nonmono int) bool {
	return len(history) > nonmono && loss > slices.Min(history[:len(history)-nonmono])
}

func (t *Trainer) bestLoss() float64 {
	if t.best == nil {
		return math.Inf(1)
	}
	return t.best.loss
}

// keep stores the model's current weights (and optimiser state) as the best.
func (t *Trainer) keep(loss float64) {
	s := &snapshot{sgd: t.sgd.State(), epoch: t.epoch, loss: loss}
	for _, w := range t.Model.Weights() {
		s.weights = append(s.weights, slices.Clone(w.Value.Data))
	}
	if t.asgd != nil {
		st := t.asgd.State()
		s.asgd = &st
	}
	t.best = s
}

// rollback returns to the best weights after a NaN/Inf loss and marks the
// epoch as rolled back.
func (t *Trainer) rollback(l float64) error {
	t.tape.Reset()
	t.consecutiveRollback++
	if t.best == nil {
		return fmt.Errorf("rnnnet: training loss %v in epoch %d, before any weights were kept", l, t.epoch+1)
	}
	if t.consecutiveRollback > 10 {
		return fmt.Errorf("rnnnet: training loss %v after 10 rollbacks in a row", l)
	}
	for i, w := range t.Model.Weights() {
		copy(w.Value.Data, t.best.weights[i])
	}
	t.sgd.SetState(t.best.sgd)
	t.asgd = nil
	if t.best.asgd != nil {
		t.asgd = &optim.ASGD{}
		t.asgd.SetState(*t.best.asgd)
	}
	t.epoch = t.best.epoch
	t.plan.RolledBack, t.plan.RollLoss = true, l
	return nil
}

// averages returns ASGD's averaged weights, in Weights() order.
func (t *Trainer) averages() [][]float32 {
	ws := t.Model.Weights()
	avg := make([][]float32, len(ws))
	for i := range ws {
		avg[i] = t.asgd.Average(i)
		if avg[i] == nil { // no ASGD step yet: the weights themselves
			avg[i] = ws[i].Value.Data
		}
	}
	return avg
}

// swapIn puts vals into the model's weights and returns the function that
// puts the old values back.
func (t *Trainer) swapIn(vals [][]float32) func() {
	ws := t.Model.Weights()
	old := make([][]float32, len(ws))
	for i, w := range ws {
		old[i] = slices.Clone(w.Value.Data)
		copy(w.Value.Data, vals[i])
	}
	return func() {
		for i, w := range ws {
			copy(w.Value.Data, old[i])
		}
	}
}

// Best is the best validation loss so far and the epoch it was reached in
// (+Inf and 0 before the first epoch).
func (t *Trainer) Best() (loss float64, epoch int) {
	if t.best == nil {
		return math.Inf(1), 0
	}
	return t.best.loss, t.best.epoch
}

// Final evaluates the best weights on the validation split (EvalBatch
// columns) and the test split (TestBatch columns, 1 in the reference),
// leaving the model's current weights in place.
func (t *Trainer) Final() (valid, test float64, err error) {
	if t.best == nil {
		return 0, 0, fmt.Errorf("rnnnet: no epoch has been trained")
	}
	restore := t.swapIn(t.best.weights)
	defer restore()
	return Evaluate(t.Model, t.valid, t.Settings.BPTT, t.k), Evaluate(t.Model, t.test, t.Settings.BPTT, t.k), nil
}
