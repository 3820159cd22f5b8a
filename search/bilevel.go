package search

import (
	"math"
	"math/rand/v2"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/optim"
	"github.com/rdarts/rdarts/supernet"
	"github.com/rdarts/rdarts/tensor"
)

// Purposes of the random streams of a step: every forward pass reseeds the
// network's stream from (seed, epoch, step, purpose), so drop-path masks and
// noise are reproducible and a resumed run replays them exactly.
const (
	rngAlpha = iota + 1
	rngTrain
	rngUnrolled
	rngPlus
	rngMinus
	rngHessian
	rngValid
)

// Bilevel is the DARTS optimisation of docs/method.md (Bilevel step): an Adam step on α using a
// validation batch (first order, or second order through the unrolled weight
// step), then an SGD step on w using a training batch.
type Bilevel struct {
	Net      *supernet.Network
	Tape     *autograd.Tape
	SGD      *optim.SGD
	Adam     *optim.Adam
	Order    int
	GradClip float64
	Seed     uint64
	// Discrete makes training passes use α as one-hot mixing weights
	// (RS-ws) instead of softmax(α). The ops of weight 0 still run forward
	// (supernet.DiscreteStats), so every batch norm's running statistics
	// follow the training batches as in the reference, where the unchosen
	// ops are computed and multiplied by 0; loss and gradients are those of
	// the chosen ops alone.
	Discrete bool
	// SkipUnchosen, with Discrete, leaves the ops of weight 0 out of the
	// training passes altogether (supernet.Discrete), which is about 4× faster
	// in the DARTS space, but an op's statistics then move only on the steps
	// that choose it, and lag its weights. rdarts' behaviour before it
	// matched the reference; kept to measure the difference.
	SkipUnchosen bool

	w, a  []optim.Param
	saved [][]float32 // w, kept while the second-order step moves it
	bn    [][]float32 // BN running statistics, kept across the unrolled forward
	pcg   *rand.PCG
	ctx   nn.Ctx
	// lanczos is the warm start of the next eigenvalue analysis.
	lanczos LanczosState
}

// NewBilevel wires a network to its optimisers. wd is the weight decay of w.
func NewBilevel(net *supernet.Network, k kernels.Backend, c Config) *Bilevel {
	b := &Bilevel{
		Net:      net,
		Tape:     autograd.NewTape(k),
		SGD:      &optim.SGD{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay},
		Adam:     &optim.Adam{LR: c.ArchLR, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: c.ArchWeightDecay},
		Order:    c.Order,
		GradClip: c.GradClip,
		Seed:     c.Seed,
		pcg:      rand.NewPCG(0, 0),
	}
	b.ctx = nn.Ctx{T: b.Tape, Train: true, Rng: rand.New(b.pcg)}
	for _, v := range net.W.Vars {
		b.w = append(b.w, optim.Param{Value: v.Value.Data, Grad: v.Grad.Data})
		b.saved = append(b.saved, make([]float32, v.Value.Len()))
	}
	for _, v := range net.Alphas() {
		b.a = append(b.a, optim.Param{Value: v.Value.Data, Grad: v.Grad.Data})
	}
	return b
}

// Batch is a mini-batch as the network consumes it.
type Batch struct {
	X *tensor.Tensor
	Y []int32
}

// Result is the loss and accuracy of one forward pass.
type Result struct {
	Loss    float64
	Correct int
	N       int
}

// reseed points the network's random stream at (epoch, step, purpose).
func (b *Bilevel) reseed(epoch, step, purpose int) {
	b.pcg.Seed(b.Seed, uint64(epoch)<<40^uint64(step)<<8^uint64(purpose))
}

// Pass runs one forward pass in train mode and, if any of w or α requires
// gradients, the backward pass, adding into their Grad.
func (b *Bilevel) Pass(x Batch, wantW, wantA bool, dropPath float64, epoch, step, purpose int) Result {
	b.Net.W.SetRequires(wantW)
	for _, a := range b.Net.Alphas() {
		a.SetRequires(wantA)
	}
	b.Tape.Reset()
	b.reseed(epoch, step, purpose)
	b.ctx.Train, b.ctx.DropPath = true, dropPath
	b.Tape.NoGrad = !wantW && !wantA
	logits := b.Net.ForwardMixing(&b.ctx, b.Tape.Const(x.X), b.trainMixing())
	loss := b.Tape.CrossEntropy(logits, x.Y)
	if wantW || wantA {
		b.Tape.Backward(loss)
	}
	r := Result{Loss: float64(loss.Value.Data[0]), Correct: nn.Correct(logits.Value, x.Y), N: len(x.Y)}
	b.Tape.Reset()
	b.Tape.NoGrad = false
	return r
}

// trainMixing is the mixing of the training passes.
func (b *Bilevel) trainMixing() supernet.Mixing {
	switch {
	case !b.Discrete:
		return supernet.Softmax
	case b.SkipUnchosen:
		return supernet.Discrete
	}
	return supernet.DiscreteStats
}

func (b *Bilevel) zeroA() {
	for _, p := range b.a {
		clear(p.Grad)
	}
}

func (b *Bilevel) zeroW() {
	for _, p := range b.w {
		clear(p.Grad)
	}
}

// Step is one search iteration: the α step on val, then the w step on train.
// lr is the epoch's weight learning rate (also η of the unrolled step).
func (b *Bilevel) Step(train, val Batch, lr, dropPath float64, epoch, step int) Result {
	b.AlphaGrad(train, val, lr, dropPath, epoch, step)
	b.Adam.Step(b.a)
	return b.WeightStep(train, lr, dropPath, epoch, step)
}

// WeightStep is the w half of a step: gradient on the training batch,
// clipping, SGD.
func (b *Bilevel) WeightStep(train Batch, lr, dropPath float64, epoch, step int) Result {
	b.zeroW()
	r := b.Pass(train, true, false, dropPath, epoch, step, rngTrain)
	optim.ClipGradNorm(b.w, b.GradClip)
	b.SGD.LR = lr
	b.SGD.Step(b.w)
	return r
}

// AlphaGrad leaves ∇_α of the validation loss in the α gradients: first
// order at the current w, or second order (docs/method.md, Second order;
// DARTS eq. 7–8):
//
//	g = ∇_α L_val(w′, α) − η·[∇_α L_train(w⁺, α) − ∇_α L_train(w⁻, α)] / 2R
//
// with w′ = w − η(m·buf + ∇_w L_train + λw), v = ∇_w′ L_val(w′, α),
// R = 0.01/‖v‖ and w± = w ± R·v.
func (b *Bilevel) AlphaGrad(train, val Batch, lr, dropPath float64, epoch, step int) {
	b.zeroA()
	if b.Order == 1 {
		b.Pass(val, false, true, dropPath, epoch, step, rngAlpha)
		return
	}
	// w′: one virtual SGD step from a saved copy of w.
	b.zeroW()
	b.Pass(train, true, false, dropPath, epoch, step, rngUnrolled)
	m, wd := float32(b.SGD.Momentum), float32(b.SGD.WeightDecay)
	eta := float32(lr)
	for i, p := range b.w {
		copy(b.saved[i], p.Value)
		buf := b.SGD.MomentumBuffer(i)
		for j, g := range p.Grad {
			d := g + wd*p.Value[j]
			if buf != nil {
				d += m * buf[j]
			}
			p.Value[j] -= eta * d
		}
	}
	// ∇_α L_val(w′) and v = ∇_w′ L_val(w′). The reference runs this forward
	// on a copy of the model, so the running BN statistics stay untouched.
	b.saveBN()
	b.zeroW()
	b.Pass(val, true, true, dropPath, epoch, step, rngAlpha)
	b.restoreBN()
	var norm float64
	for _, p := range b.w {
		for _, g := range p.Grad {
			norm += float64(g) * float64(g)
		}
	}
	r := 0.01 / math.Sqrt(norm)
	// Keep ∇_α L_val(w′) aside while the α gradients are reused below.
	gval := make([][]float32, len(b.a))
	for i, p := range b.a {
		gval[i] = append([]float32(nil), p.Grad...)
	}
	hv := b.hessianVector(train, float32(r), dropPath, epoch, step)
	for i, p := range b.a {
		for j := range p.Grad {
			p.Grad[j] = gval[i][j] - eta*hv[i][j]
		}
	}
}

// hessianVector returns [∇_α L_train(w⁺) − ∇_α L_train(w⁻)] / 2R, with v in
// the w gradients and the original w in saved; it leaves w restored.
func (b *Bilevel) hessianVector(train Batch, r float32, dropPath float64, epoch, step int) [][]float32 {
	setW := func(sign float32) {
		for i, p := range b.w {
			for j := range p.Value {
				p.Value[j] = b.saved[i][j] + sign*r*p.Grad[j]
			}
		}
	}
	// v must survive the two passes, which only touch α gradients.
	setW(1)
	b.zeroA()
	b.Pass(train, false, true, dropPath, epoch, step, rngPlus)
	plus := make([][]float32, len(b.a))
	for i, p := range b.a {
		plus[i] = append([]float32(nil), p.Grad...)
	}
	setW(-1)
	b.zeroA()
	b.Pass(train, false, true, dropPath, epoch, step, rngMinus)
	for i, p := range b.a {
		for j := range p.Grad {
			plus[i][j] = (plus[i][j] - p.Grad[j]) / (2 * r)
		}
		clear(p.Grad)
	}
	for i, p := range b.w {
		copy(p.Value, b.saved[i])
	}
	return plus
}

func (b *Bilevel) saveBN() {
	b.bn = b.bn[:0]
	for _, s := range b.Net.W.BN {
		b.bn = append(b.bn, append([]float32(nil), s.Mean...), append([]float32(nil), s.Var...))
	}
}

func (b *Bilevel) restoreBN() {
	for i, s := range b.Net.W.BN {
		copy(s.Mean, b.bn[2*i])
		copy(s.Var, b.bn[2*i+1])
	}
}

// Evaluate runs the network in eval mode (running BN statistics) without
// gradients; discrete uses α rows as one-hot mixing weights.
func (b *Bilevel) Evaluate(x Batch, discrete bool, epoch, step int) Result {
	b.Tape.Reset()
	b.Tape.NoGrad = true
	b.reseed(epoch, step, rngValid)
	b.ctx.Train, b.ctx.DropPath = false, 0
	logits := b.Net.Forward(&b.ctx, b.Tape.Const(x.X), discrete)
	loss := b.Tape.CrossEntropy(logits, x.Y)
	r := Result{Loss: float64(loss.Value.Data[0]), Correct: nn.Correct(logits.Value, x.Y), N: len(x.Y)}
	b.Tape.Reset()
	b.Tape.NoGrad = false
	return r
}
