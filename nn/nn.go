// Package nn builds the layers of DARTS cells out of autograd ops: the
// candidate operations of docs/method.md (Operations) and their helper blocks.
//
// A layer owns its parameters (registered in a Params set, which is what the
// weight optimiser, weight decay and gradient clipping see) and its batch
// norm running statistics. Forward takes a Ctx: the tape, train or eval mode
// and the random stream for the noise op and drop path.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/tensor"
)

// Ctx carries what a forward pass needs besides its input.
type Ctx struct {
	T     *autograd.Tape
	Train bool       // batch statistics, drop path and the auxiliary head
	Rng   *rand.Rand // noise op and drop-path masks; reseeded per step by the caller
	// DropPath is the current drop-path probability (0 = off).
	DropPath float64
	// Smooth replaces every ReLU by softplus(β=Smooth) when > 0: tests use
	// it to make a whole network smooth enough for finite differences.
	Smooth float32

	relu map[*autograd.Var]*autograd.Var
	// side caches the activations computed inside Detached, apart from relu:
	// they are not on the tape, and sharing them with recorded ops would
	// also move the recorded ops' ReLUs, and so the order in which their
	// gradients are summed.
	side     map[*autograd.Var]*autograd.Var
	detached bool
}

// ReLU applies the network's activation: ReLU, or softplus with Smooth.
// Within one pass (see Begin) the activation of a value is computed once
// and shared: in the DARTS space four ops of every edge start with ReLU of
// the same input.
func (c *Ctx) ReLU(x *autograd.Var) *autograd.Var {
	if y, ok := c.relu[x]; ok {
		return y
	}
	if y, ok := c.side[x]; ok && c.detached {
		return y
	}
	var y *autograd.Var
	if c.Smooth > 0 {
		y = c.T.Softplus(x, c.Smooth)
	} else {
		y = c.T.ReLU(x)
	}
	switch {
	case c.detached && c.side != nil:
		c.side[x] = y
	case !c.detached && c.relu != nil:
		c.relu[x] = y
	}
	return y
}

// Begin starts a forward pass: values of an earlier pass are forgotten.
func (c *Ctx) Begin() {
	if c.relu == nil {
		c.relu, c.side = map[*autograd.Var]*autograd.Var{}, map[*autograd.Var]*autograd.Var{}
	}
	clear(c.relu)
	clear(c.side)
}

// Detached runs f, a forward computation whose result is thrown away (the
// search network runs unchosen ops for their batch-norm statistics only),
// without recording anything on the tape and without touching what the
// recorded computation sees: its activations are cached apart and Kinks is
// off. Batch norms in training mode still update their running statistics.
// The recorded pass around it computes what it would without f, bit for bit.
func (c *Ctx) Detached(f func()) {
	noGrad, kinks, det := c.T.NoGrad, c.T.Kinks, c.detached
	c.T.NoGrad, c.T.Kinks, c.detached = true, nil, true
	defer func() { c.T.NoGrad, c.T.Kinks, c.detached = noGrad, kinks, det }()
	f()
}

// DropMask draws a per-sample drop-path mask: 0 with probability p, else
// 1/(1−p) (docs/method.md, ScheduledDropPath).
func (c *Ctx) DropMask(n int) []float32 {
	m := make([]float32, n)
	keep := 1 - c.DropPath
	for i := range m {
		if c.Rng.Float64() < keep {
			m[i] = float32(1 / keep)
		}
	}
	return m
}

// Layer is anything with a forward pass.
type Layer interface {
	Forward(c *Ctx, x *autograd.Var) *autograd.Var
}

// Params is a named, ordered set of trainable tensors and batch-norm
// statistics. The order is the construction order, so two networks built
// from one config line up entry by entry (checkpoints rely on it).
type Params struct {
	Vars    []*autograd.Var
	Names   []string
	BN      []*autograd.BNState
	BNNames []string
	// Init is the initialisation scheme of the layers registered from now
	// on (NewConv, NewBatchNorm); the zero value is InitModern.
	Init Init
	rng  *rand.Rand
}

// NewParams returns an empty set whose initial values come from rng.
func NewParams(rng *rand.Rand) *Params { return &Params{rng: rng} }

// Uniform registers a tensor drawn from U(−bound, bound).
func (p *Params) Uniform(name string, bound float64, shape ...int) *autograd.Var {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32((p.rng.Float64()*2 - 1) * bound)
	}
	return p.add(name, t)
}

// unit registers a tensor drawn from U(0,1) (float32, so never 1).
func (p *Params) unit(name string, shape ...int) *autograd.Var {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = p.rng.Float32()
	}
	return p.add(name, t)
}

// Const registers a tensor filled with v.
func (p *Params) Const(name string, v float32, shape ...int) *autograd.Var {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return p.add(name, t)
}

func (p *Params) add(name string, t *tensor.Tensor) *autograd.Var {
	v := autograd.Leaf(t, true)
	p.Vars = append(p.Vars, v)
	p.Names = append(p.Names, name)
	return v
}

// Count is the number of scalar parameters.
func (p *Params) Count() int {
	n := 0
	for _, v := range p.Vars {
		n += v.Value.Len()
	}
	return n
}

// SetRequires switches gradients of every parameter on or off.
func (p *Params) SetRequires(r bool) {
	for _, v := range p.Vars {
		v.SetRequires(r)
	}
}

// ZeroGrad clears every parameter gradient.
func (p *Params) ZeroGrad() {
	for _, v := range p.Vars {
		v.ZeroGrad()
	}
}

// BatchNorm is a BN layer; affine=false leaves out γ and β.
type BatchNorm struct {
	Gamma, Beta *autograd.Var
	State       *autograd.BNState
}

// NewBatchNorm registers a BN layer over c channels. With affine, γ is 1
// (InitModern) or drawn from U(0,1) (InitLegacy), and β is 0.
func NewBatchNorm(p *Params, name string, c int, affine bool) *BatchNorm {
	b := &BatchNorm{State: autograd.NewBNState(c)}
	if affine {
		if p.Init == InitLegacy {
			b.Gamma = p.unit(name+".weight", c)
		} else {
			b.Gamma = p.Const(name+".weight", 1, c)
		}
		b.Beta = p.Const(name+".bias", 0, c)
	}
	p.BN = append(p.BN, b.State)
	p.BNNames = append(p.BNNames, name)
	return b
}

// Forward implements Layer.
func (b *BatchNorm) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	return c.T.BatchNorm(x, b.Gamma, b.Beta, b.State, c.Train)
}

// BatchNormReLU is a BatchNorm followed by the network's activation, fused
// when that is ReLU.
type BatchNormReLU struct{ *BatchNorm }

// Forward implements Layer.
func (b BatchNormReLU) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	if c.Smooth > 0 {
		return c.ReLU(b.BatchNorm.Forward(c, x))
	}
	return c.T.BatchNormReLU(x, b.Gamma, b.Beta, b.State, c.Train)
}

// Conv is a bias-free convolution.
type Conv struct {
	W    *autograd.Var
	Opts autograd.ConvOpts
}

// NewConv registers a cin→cout conv with a kh×kw kernel. Weights are
// U(±1/√fan_in) with fan_in = cin/groups·kh·kw under InitModern (PyTorch
// ≥ 1.0) and cin·kh·kw under InitLegacy (PyTorch 0.3.1, the reference's).
func NewConv(p *Params, name string, cin, cout, kh, kw int, o autograd.ConvOpts) *Conv {
	g := max(o.Groups, 1)
	if cin%g != 0 || cout%g != 0 {
		panic(fmt.Sprintf("nn: %s: groups %d must divide %d and %d", name, g, cin, cout))
	}
	fan := p.Init.convFanIn(cin, g, kh, kw)
	return &Conv{W: p.Uniform(name+".weight", 1/math.Sqrt(float64(fan)), cout, cin/g, kh, kw), Opts: o}
}

// Forward implements Layer.
func (v *Conv) Forward(c *Ctx, x *autograd.Var) *autograd.Var { return c.T.Conv2d(x, v.W, v.Opts) }

// Linear is a dense layer with bias.
type Linear struct{ W, B *autograd.Var }

// NewLinear registers an in→out dense layer with PyTorch's default init,
// U(±1/√in) for weight and bias (the same in 0.3.1 and ≥ 1.0).
func NewLinear(p *Params, name string, in, out int) *Linear {
	b := 1 / math.Sqrt(float64(in))
	return &Linear{W: p.Uniform(name+".weight", b, out, in), B: p.Uniform(name+".bias", b, out)}
}

// Forward implements Layer on an N×in input.
func (l *Linear) Forward(c *Ctx, x *autograd.Var) *autograd.Var { return c.T.Linear(x, l.W, l.B) }

// Seq runs layers in order.
type Seq []Layer

// Forward implements Layer.
func (s Seq) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	for _, l := range s {
		x = l.Forward(c, x)
	}
	return x
}

// ReLU as a layer.
type ReLU struct{}

// Forward implements Layer.
func (ReLU) Forward(c *Ctx, x *autograd.Var) *autograd.Var { return c.ReLU(x) }

// Correct counts the rows of N×K logits whose argmax (first maximum on
// ties) is the label.
func Correct(logits *tensor.Tensor, y []int32) int {
	k, n := logits.Shape[1], 0
	for i, label := range y {
		row := logits.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == int(label) {
			n++
		}
	}
	return n
}

// NonFinite names the first parameter holding a NaN or ±Inf, or "".
func (p *Params) NonFinite() string {
	for i, v := range p.Vars {
		if v.Value.HasNaN() {
			return "weight " + p.Names[i]
		}
	}
	return ""
}

// Snapshot is a copy of a parameter set's values and batch-norm statistics,
// for checkpoints.
type Snapshot struct {
	W      [][]float32
	BNMean [][]float32
	BNVar  [][]float32
}

// Snapshot copies the current values.
func (p *Params) Snapshot() Snapshot {
	var s Snapshot
	for _, v := range p.Vars {
		s.W = append(s.W, append([]float32(nil), v.Value.Data...))
	}
	for _, st := range p.BN {
		s.BNMean = append(s.BNMean, append([]float32(nil), st.Mean...))
		s.BNVar = append(s.BNVar, append([]float32(nil), st.Var...))
	}
	return s
}

// Restore loads a snapshot, checking that it was taken of a parameter set of
// the same layout.
func (p *Params) Restore(s Snapshot) error {
	if len(s.W) != len(p.Vars) || len(s.BNMean) != len(p.BN) || len(s.BNVar) != len(p.BN) {
		return fmt.Errorf("checkpoint holds %d weight tensors and %d batch norms, the network has %d and %d: was it made with another space, genotype, layers or channels?",
			len(s.W), len(s.BNMean), len(p.Vars), len(p.BN))
	}
	for i, v := range p.Vars {
		if len(s.W[i]) != v.Value.Len() {
			return fmt.Errorf("checkpoint tensor %s has %d values, the network %d", p.Names[i], len(s.W[i]), v.Value.Len())
		}
	}
	for i, st := range p.BN {
		if len(s.BNMean[i]) != len(st.Mean) || len(s.BNVar[i]) != len(st.Var) {
			return fmt.Errorf("checkpoint batch norm %s has %d channels, the network %d", p.BNNames[i], len(s.BNMean[i]), len(st.Mean))
		}
	}
	for i, v := range p.Vars {
		copy(v.Value.Data, s.W[i])
	}
	for i, st := range p.BN {
		copy(st.Mean, s.BNMean[i])
		copy(st.Var, s.BNVar[i])
	}
	return nil
}
