package supernet

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
)

// EvalConfig sizes an evaluation network (docs/method.md, Retraining).
type EvalConfig struct {
	InChannels int // 1 for grey datasets, 3 for colour
	Classes    int
	C          int // initial channels (36 for CIFAR-10 in DARTS, 16 in RD's script)
	Layers     int // cells (20 / 8)
	// Auxiliary adds the auxiliary tower on the output of cell 2L/3.
	Auxiliary bool
	// StemMultiplier scales the stem's output channels; 0 means 3, as DARTS.
	StemMultiplier int
	// Init is the weight initialisation; the zero value is nn.InitModern.
	Init nn.Init
}

// Validate reports the first problem with the configuration.
func (c EvalConfig) Validate() error {
	switch {
	case c.InChannels <= 0:
		return fmt.Errorf("input channels must be positive, have %d", c.InChannels)
	case c.Classes < 2:
		return fmt.Errorf("need at least 2 classes, have %d", c.Classes)
	case c.C <= 0:
		return fmt.Errorf("init channels must be positive, have %d", c.C)
	case c.Layers <= 0:
		return fmt.Errorf("layers must be positive, have %d", c.Layers)
	case c.StemMultiplier < 0:
		return fmt.Errorf("stem multiplier must be positive, have %d", c.StemMultiplier)
	}
	return c.Init.Validate()
}

// auxName starts the name of every auxiliary-head parameter. Like the
// reference's count_parameters_in_MB, ParamCount leaves those out of the
// model size.
const auxName = "auxiliary_head"

// EvalNetwork is a derived architecture trained from scratch
// (RD:src/evaluation/model.py NetworkCIFAR). W holds every trainable tensor,
// the auxiliary head's included (registered between the cells and the
// classifier, PyTorch's module order), so the optimiser trains them all;
// ParamCount reports the head apart.
type EvalNetwork struct {
	Cfg      EvalConfig
	Genotype space.Genotype // a copy of the genotype it was built from
	W        *nn.Params
	stem     nn.Seq
	cells    []*evalCell
	auxAt    int      // index of the cell whose output feeds the auxiliary head
	aux      *auxHead // nil without Auxiliary
	head     *nn.Linear
}

// evalCell is one cell of a genotype: op k reads state src[k]; node i sums
// ops 2i and 2i+1; the output concatenates the states in concat.
type evalCell struct {
	pre0, pre1 nn.Layer
	ops        []nn.Layer
	src        []int
	concat     []int
}

// NewEval builds an evaluation network for g; seed fixes the initial weights.
func NewEval(g space.Genotype, cfg EvalConfig, seed uint64) (*EvalNetwork, error) {
	if cfg.StemMultiplier == 0 {
		cfg.StemMultiplier = 3
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	g = cloneGenotype(g)
	p := nn.NewParams(rand.New(rand.NewPCG(seed, 0x5eed)))
	p.Init = cfg.Init
	n := &EvalNetwork{Cfg: cfg, Genotype: g, W: p, auxAt: 2 * cfg.Layers / 3}
	cs := cfg.StemMultiplier * cfg.C
	n.stem = nn.Seq{
		nn.NewConv(p, "stem.conv", cfg.InChannels, cs, 3, 3, autograd.ConvOpts{Pad: [2]int{1, 1}}),
		nn.NewBatchNorm(p, "stem.bn", cs, true),
	}
	cpp, cp, cc := cs, cs, cfg.C
	reducePrev := false
	for i := 0; i < cfg.Layers; i++ {
		red := IsReduction(i, cfg.Layers)
		pairs, concat := g.Normal, g.NormalConcat
		if red {
			cc *= 2
			pairs, concat = g.Reduce, g.ReduceConcat
		}
		name := fmt.Sprintf("cells.%d", i)
		c := &evalCell{concat: concat}
		if reducePrev {
			c.pre0 = nn.NewFactorizedReduce(p, name+".pre0", cpp, cc, true)
		} else {
			c.pre0 = nn.NewReLUConvBN(p, name+".pre0", cpp, cc, 1, 1, 0, true)
		}
		c.pre1 = nn.NewReLUConvBN(p, name+".pre1", cp, cc, 1, 1, 0, true)
		for k, pr := range pairs {
			stride := 1
			if red && pr.Source < 2 {
				stride = 2
			}
			l, err := nn.NewOp(p, fmt.Sprintf("%s.ops.%d", name, k), pr.Op,
				nn.OpConfig{C: cc, Stride: stride, Affine: true})
			if err != nil {
				return nil, fmt.Errorf("cell %d, pair %d: %w", i, k, err)
			}
			c.ops, c.src = append(c.ops, l), append(c.src, pr.Source)
		}
		n.cells = append(n.cells, c)
		reducePrev = red
		cpp, cp = cp, len(concat)*cc
		if i == n.auxAt && cfg.Auxiliary {
			n.aux = newAuxHead(p, auxName, cp, cfg.Classes)
		}
	}
	n.head = nn.NewLinear(p, "classifier", cp, cfg.Classes)
	return n, nil
}

func cloneGenotype(g space.Genotype) space.Genotype {
	return space.Genotype{
		Normal: slices.Clone(g.Normal), NormalConcat: slices.Clone(g.NormalConcat),
		Reduce: slices.Clone(g.Reduce), ReduceConcat: slices.Clone(g.ReduceConcat),
	}
}

// Forward computes the logits and, in training mode with the auxiliary head
// enabled, the auxiliary logits (nil otherwise). The training loss is
// CE(logits) + 0.4·CE(aux) (docs/method.md, Retraining).
func (n *EvalNetwork) Forward(c *nn.Ctx, x *autograd.Var) (logits, aux *autograd.Var) {
	c.Begin()
	s0 := n.stem.Forward(c, x)
	s1 := s0
	for i, cell := range n.cells {
		s0, s1 = s1, cell.forward(c, s0, s1)
		if i == n.auxAt && n.aux != nil && c.Train {
			aux = n.aux.forward(c, s1)
		}
	}
	return n.head.Forward(c, c.T.GlobalAvgPool(s1)), aux
}

// ParamCount returns the number of scalar parameters of the network proper
// and of the auxiliary head. The first is the model size the reference
// reports (PyTorch counts conv weights, affine BN γ and β, linear weights and
// biases; running statistics are buffers, not parameters).
func (n *EvalNetwork) ParamCount() (main, aux int) {
	for i, v := range n.W.Vars {
		if strings.HasPrefix(n.W.Names[i], auxName+".") {
			aux += v.Value.Len()
		} else {
			main += v.Value.Len()
		}
	}
	return main, aux
}

// forward runs the cell. In training mode with drop path on, every op output
// except an identity (stride-1 skip_connect) goes through drop path, each with
// a mask of its own; the stride-2 skip (FactorizedReduce) is dropped like any
// other op (RD:src/evaluation/model.py Cell.forward).
func (cell *evalCell) forward(c *nn.Ctx, s0, s1 *autograd.Var) *autograd.Var {
	states := []*autograd.Var{cell.pre0.Forward(c, s0), cell.pre1.Forward(c, s1)}
	var h [2]*autograd.Var
	for k, op := range cell.ops {
		in := states[cell.src[k]]
		y := op.Forward(c, in)
		if _, id := op.(nn.Identity); !id && c.Train && c.DropPath > 0 {
			y = c.T.DropPath(y, c.DropMask(in.Shape()[0]))
		}
		h[k%2] = y
		if k%2 == 1 {
			states = append(states, c.T.Add(h[0], h[1]))
		}
	}
	out := make([]*autograd.Var, len(cell.concat))
	for i, s := range cell.concat {
		out[i] = states[s]
	}
	return c.T.Concat(out...)
}

// auxHead is AuxiliaryHeadCIFAR: ReLU → avg pool to 2×2 → 1×1 conv → 128 →
// BN → ReLU → 2×2 conv → 768 → BN → ReLU → Linear(768 → classes).
type auxHead struct {
	conv1, conv2 *nn.Conv
	bn1, bn2     *nn.BatchNorm
	fc           *nn.Linear
}

func newAuxHead(p *nn.Params, name string, cin, classes int) *auxHead {
	return &auxHead{
		conv1: nn.NewConv(p, name+".conv1", cin, 128, 1, 1, autograd.ConvOpts{}),
		bn1:   nn.NewBatchNorm(p, name+".bn1", 128, true),
		conv2: nn.NewConv(p, name+".conv2", 128, 768, 2, 2, autograd.ConvOpts{}),
		bn2:   nn.NewBatchNorm(p, name+".bn2", 768, true),
		fc:    nn.NewLinear(p, name+".classifier", 768, classes),
	}
}

// auxPool returns the average pool (kernel, stride; no padding) that brings
// an h×h map to the 2×2 the head's 2×2 conv needs. The reference's
// AvgPool(5, stride 3) assumes the 8×8 map of a 32×32 input; it is kept
// wherever it gives 2×2 (h = 8..10). Elsewhere, e.g. the 7×7 map of a 28×28
// input (where 5/3 gives 1×1 and the 2×2 conv cannot run), the pool is
// PyTorch's AdaptiveAvgPool2d(2): windows [0, ⌈h/2⌉) and [⌊h/2⌋, h), i.e.
// kernel ⌈h/2⌉, stride ⌊h/2⌋ (4 and 3 for h = 7). Without padding,
// count_include_pad makes no difference.
func auxPool(h int) (k, s int) {
	if h >= 8 && h <= 10 {
		return 5, 3
	}
	return (h + 1) / 2, h / 2
}

func (a *auxHead) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	_, _, h, w := x.Value.Dims("supernet: auxiliary head")
	if h != w || h < 2 {
		panic(fmt.Sprintf("supernet: auxiliary head needs a square map of at least 2×2, have %v", x.Shape()))
	}
	k, s := auxPool(h)
	y := c.T.AvgPool(c.ReLU(x), k, s, 0)
	y = c.ReLU(a.bn1.Forward(c, a.conv1.Forward(c, y)))
	y = c.ReLU(a.bn2.Forward(c, a.conv2.Forward(c, y)))
	// y is N×768×1×1: the global average over one pixel is an exact flatten.
	return a.fc.Forward(c, c.T.GlobalAvgPool(y))
}
