// Package supernet holds the DARTS networks: the one-shot search network of
// MixedOps weighted by softmax(α) (docs/method.md, One-shot network) and the
// evaluation network built from a genotype (docs/method.md, Retraining).
package supernet

import (
	"fmt"
	"math/rand/v2"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/tensor"
)

// Config sizes a network.
type Config struct {
	Space      space.Space
	InChannels int // 1 for grey datasets, 3 for colour
	Classes    int
	C          int // initial channels (16)
	Layers     int // cells (8)
	// StemMultiplier scales the stem's output channels (3 in DARTS).
	StemMultiplier int
	// Init is the weight initialisation; the zero value is nn.InitModern.
	Init nn.Init
}

// Validate reports the first problem with the configuration.
func (c Config) Validate() error {
	switch {
	case c.InChannels <= 0:
		return fmt.Errorf("input channels must be positive, have %d", c.InChannels)
	case c.Classes < 2:
		return fmt.Errorf("need at least 2 classes, have %d", c.Classes)
	case c.C <= 0 || c.C%2 != 0:
		return fmt.Errorf("init channels must be a positive even number, have %d", c.C)
	case c.Layers <= 0:
		return fmt.Errorf("layers must be positive, have %d", c.Layers)
	}
	if err := c.Init.Validate(); err != nil {
		return err
	}
	return c.Space.Validate()
}

// IsReduction reports whether cell i of L is a reduction cell: i ∈ {L/3, 2L/3}.
func IsReduction(i, layers int) bool { return i == layers/3 || i == 2*layers/3 }

// Network is the one-shot model. W holds the weights w; the architecture
// parameters α live apart from it, so the weight optimiser, weight decay and
// gradient clipping never see them.
type Network struct {
	Cfg         Config
	W           *nn.Params
	AlphaNormal *autograd.Var // edges × ops logits
	AlphaReduce *autograd.Var // the same Var as AlphaNormal in a shared space
	stem        nn.Seq
	cells       []*searchCell
	head        *nn.Linear
}

// MixedOp is one edge of the one-shot cell: Σ_k w_k·op_k(x) (docs/method.md,
// One-shot network).
type MixedOp struct {
	Ops   []nn.Layer
	Names []string
}

type searchCell struct {
	reduce     bool
	pre0, pre1 nn.Layer
	edges      []MixedOp
	sp         space.Space
}

// New builds a one-shot network; seed fixes the initial w and α.
func New(cfg Config, seed uint64) (*Network, error) {
	if cfg.StemMultiplier == 0 {
		cfg.StemMultiplier = 3
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	p := nn.NewParams(rng)
	p.Init = cfg.Init
	n := &Network{Cfg: cfg, W: p}
	cs := cfg.StemMultiplier * cfg.C
	n.stem = nn.Seq{
		nn.NewConv(p, "stem.conv", cfg.InChannels, cs, 3, 3, autograd.ConvOpts{Pad: [2]int{1, 1}}),
		nn.NewBatchNorm(p, "stem.bn", cs, true),
	}
	cpp, cp, cc := cs, cs, cfg.C
	reducePrev := false
	for i := 0; i < cfg.Layers; i++ {
		red := IsReduction(i, cfg.Layers)
		if red {
			cc *= 2
		}
		name := fmt.Sprintf("cells.%d", i)
		c := &searchCell{reduce: red, sp: cfg.Space}
		if reducePrev {
			c.pre0 = nn.NewFactorizedReduce(p, name+".pre0", cpp, cc, false)
		} else {
			c.pre0 = nn.NewReLUConvBN(p, name+".pre0", cpp, cc, 1, 1, 0, false)
		}
		c.pre1 = nn.NewReLUConvBN(p, name+".pre1", cp, cc, 1, 1, 0, false)
		for e, edge := range cfg.Space.Edges {
			stride := 1
			if red && edge.Source < 2 {
				stride = 2
			}
			var m MixedOp
			for k, op := range cfg.Space.Ops(red)[e] {
				l, err := nn.NewOp(p, fmt.Sprintf("%s.edges.%d.%d", name, e, k), op,
					nn.OpConfig{C: cc, Stride: stride, PoolBN: true})
				if err != nil {
					return nil, fmt.Errorf("space %s, edge %d: %w", cfg.Space.Name, e, err)
				}
				m.Ops, m.Names = append(m.Ops, l), append(m.Names, op)
			}
			c.edges = append(c.edges, m)
		}
		n.cells = append(n.cells, c)
		reducePrev = red
		cpp, cp = cp, cfg.Space.Steps*cc
	}
	n.head = nn.NewLinear(p, "classifier", cp, cfg.Classes)
	n.AlphaNormal = newAlpha(cfg.Space, false, rng)
	n.AlphaReduce = n.AlphaNormal
	if !cfg.Space.Shared {
		n.AlphaReduce = newAlpha(cfg.Space, true, rng)
	}
	return n, nil
}

// newAlpha draws α as 1e-3·N(0,1), as DARTS.
func newAlpha(s space.Space, reduce bool, rng *rand.Rand) *autograd.Var {
	r, c := s.AlphaShape(reduce)
	t := tensor.New(r, c)
	for i := range t.Data {
		t.Data[i] = float32(1e-3 * rng.NormFloat64())
	}
	return autograd.Leaf(t, true)
}

// Alphas lists the distinct architecture tensors: [normal, reduce], or just
// [normal] for a shared space. Their concatenation is the Hessian's variable.
func (n *Network) Alphas() []*autograd.Var {
	if n.Cfg.Space.Shared {
		return []*autograd.Var{n.AlphaNormal}
	}
	return []*autograd.Var{n.AlphaNormal, n.AlphaReduce}
}

// Mixing says how a MixedOp combines its ops' outputs.
type Mixing int

const (
	// Softmax weighs op k of an edge by softmax(α row)[k] (DARTS).
	Softmax Mixing = iota
	// Discrete uses the rows of α themselves as the weights (one-hot α for
	// RS-ws and the discretised evaluation) and does not compute the ops of
	// weight 0 at all.
	Discrete
	// DiscreteStats is Discrete in value and gradient, bit for bit, but in
	// training mode it also runs the forward pass of every op of weight 0
	// and discards the output, so every batch norm's running statistics
	// move, as in the reference, whose edges add 0·op(x) for the ops not
	// chosen. `none` and `noise` are still skipped: they hold no statistics
	// and noise would consume random draws. The extra forwards run detached
	// (nn.Ctx.Detached): nothing is recorded, so they cost forward time only,
	// and the loss and every gradient are Discrete's bit for bit. In eval
	// mode it is Discrete.
	DiscreteStats
)

// String names the mode.
func (m Mixing) String() string {
	switch m {
	case Softmax:
		return "softmax"
	case Discrete:
		return "discrete"
	case DiscreteStats:
		return "discrete-stats"
	}
	return fmt.Sprintf("Mixing(%d)", int(m))
}

// Forward computes the logits. With discrete set the rows of α are used
// directly as mixing weights (one-hot α for RS-ws and discretised
// evaluation) and ops with weight 0 are not computed at all; otherwise the
// weights are softmax(α) row-wise. It is ForwardMixing with Discrete or
// Softmax.
func (n *Network) Forward(c *nn.Ctx, x *autograd.Var, discrete bool) *autograd.Var {
	if discrete {
		return n.ForwardMixing(c, x, Discrete)
	}
	return n.ForwardMixing(c, x, Softmax)
}

// ForwardMixing computes the logits with the given mixing of every edge.
func (n *Network) ForwardMixing(c *nn.Ctx, x *autograd.Var, mix Mixing) *autograd.Var {
	c.Begin()
	wn, wr := n.AlphaNormal, n.AlphaReduce
	if mix == Softmax {
		wn = c.T.Softmax(wn)
		wr = wn
		if !n.Cfg.Space.Shared {
			wr = c.T.Softmax(n.AlphaReduce)
		}
	}
	s0 := n.stem.Forward(c, x)
	s1 := s0
	for _, cell := range n.cells {
		w := wn
		if cell.reduce {
			w = wr
		}
		s0, s1 = s1, cell.forward(c, s0, s1, w, mix)
	}
	return n.head.Forward(c, c.T.GlobalAvgPool(s1))
}

func (cell *searchCell) forward(c *nn.Ctx, s0, s1, w *autograd.Var, mix Mixing) *autograd.Var {
	states := []*autograd.Var{cell.pre0.Forward(c, s0), cell.pre1.Forward(c, s1)}
	cols := w.Shape()[1]
	nodeIn := make([][]*autograd.Var, cell.sp.Steps)
	for e, edge := range cell.sp.Edges {
		if out := cell.edges[e].forward(c, states[edge.Source], w, e*cols, mix); out != nil {
			nodeIn[edge.Node] = append(nodeIn[edge.Node], out)
		}
		// Node i is complete once its last edge has run; later edges read it.
		if e+1 == len(cell.sp.Edges) || cell.sp.Edges[e+1].Node != edge.Node {
			states = append(states, cell.node(c, nodeIn[edge.Node], states[1].Shape()))
		}
	}
	return c.T.Concat(states[2:]...)
}

// node sums a node's inputs; a node with none (all dropped in discrete mode)
// is zero, shaped like the cell's output: the preprocessed input's shape,
// halved in a reduction cell.
func (cell *searchCell) node(c *nn.Ctx, ins []*autograd.Var, in []int) *autograd.Var {
	if len(ins) == 0 {
		if cell.reduce {
			return c.T.Zeros(in[0], in[1], (in[2]+1)/2, (in[3]+1)/2)
		}
		return c.T.Zeros(in...)
	}
	if len(ins) == 1 {
		return ins[0]
	}
	return c.T.AddN(ins...)
}

// forward returns Σ_k w[off+k]·op_k(x), then drop path; nil when every term
// is zero. Under DiscreteStats in training mode the ops of weight 0 run for
// their batch-norm statistics only.
func (m *MixedOp) forward(c *nn.Ctx, x, w *autograd.Var, off int, mix Mixing) *autograd.Var {
	xs := make([]*autograd.Var, len(m.Ops))
	any := false
	for k, op := range m.Ops {
		if m.Names[k] == "none" {
			continue
		}
		if mix != Softmax && w.Value.Data[off+k] == 0 {
			if mix == DiscreteStats && c.Train && m.Names[k] != "noise" {
				c.Detached(func() { op.Forward(c, x) }) // statistics only
			}
			continue
		}
		xs[k], any = op.Forward(c, x), true
	}
	if !any {
		return nil
	}
	out := c.T.WeightedSum(w, off, xs)
	if c.Train && c.DropPath > 0 {
		out = c.T.DropPath(out, c.DropMask(x.Shape()[0]))
	}
	return out
}

// AlphaRows returns α as float64 rows, for genotype derivation and logs.
func AlphaRows(v *autograd.Var) [][]float64 {
	r, c := v.Shape()[0], v.Shape()[1]
	rows := make([][]float64, r)
	for i := range rows {
		rows[i] = make([]float64, c)
		for j := range rows[i] {
			rows[i][j] = float64(v.Value.Data[i*c+j])
		}
	}
	return rows
}

// Genotype discretises the current α (docs/method.md, Discretisation).
func (n *Network) Genotype() space.Genotype {
	return space.Derive(n.Cfg.Space, AlphaRows(n.AlphaNormal), AlphaRows(n.AlphaReduce))
}
