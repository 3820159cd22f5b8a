package nn

import (
	"fmt"

	"github.com/rdarts/rdarts/autograd"
)

// OpConfig says how to build a candidate operation (docs/method.md,
// Operations).
type OpConfig struct {
	C      int  // channels in = out
	Stride int  // 2 on the input edges of a reduction cell
	Affine bool // true in the evaluation network
	// PoolBN adds BatchNorm(affine=false) after pools: search network only.
	PoolBN bool
}

// NewOp builds the named DARTS operation and registers its parameters.
func NewOp(p *Params, name, op string, cfg OpConfig) (Layer, error) {
	c, s, af := cfg.C, cfg.Stride, cfg.Affine
	switch op {
	case "none":
		return Zero{Stride: s}, nil
	case "noise":
		return Noise{Stride: s}, nil
	case "skip_connect":
		if s == 1 {
			return Identity{}, nil
		}
		return NewFactorizedReduce(p, name, c, c, af), nil
	case "max_pool_3x3", "avg_pool_3x3":
		l := Pool{Max: op == "max_pool_3x3", K: 3, S: s, P: 1}
		if cfg.PoolBN {
			return Seq{l, NewBatchNorm(p, name+".bn", c, false)}, nil
		}
		return l, nil
	case "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7":
		k := map[string]int{"sep_conv_3x3": 3, "sep_conv_5x5": 5, "sep_conv_7x7": 7}[op]
		// [ReLU → dw → 1×1 → BN] twice; the first BN and the second ReLU
		// run as one fused op.
		first, second := dilConv(p, name+".0", c, k, s, k/2, 1, af), dilConv(p, name+".1", c, k, 1, k/2, 1, af)
		first[3] = BatchNormReLU{first[3].(*BatchNorm)}
		return append(first, second[1:]...), nil
	case "dil_conv_3x3":
		return dilConv(p, name, c, 3, s, 2, 2, af), nil
	case "dil_conv_5x5":
		return dilConv(p, name, c, 5, s, 4, 2, af), nil
	case "conv_7x1_1x7":
		return Seq{ReLU{},
			NewConv(p, name+".conv1x7", c, c, 1, 7, autograd.ConvOpts{Stride: [2]int{1, s}, Pad: [2]int{0, 3}}),
			NewConv(p, name+".conv7x1", c, c, 7, 1, autograd.ConvOpts{Stride: [2]int{s, 1}, Pad: [2]int{3, 0}}),
			NewBatchNorm(p, name+".bn", c, af)}, nil
	}
	return nil, fmt.Errorf("unknown operation %q", op)
}

// dilConv is ReLU → depthwise k×k (stride s, padding pad, dilation d) → 1×1
// → BN: DilConv, and one half of SepConv (d = 1).
func dilConv(p *Params, name string, c, k, s, pad, d int, affine bool) Seq {
	return Seq{ReLU{},
		NewConv(p, name+".dw", c, c, k, k, autograd.ConvOpts{Stride: [2]int{s, s}, Pad: [2]int{pad, pad}, Dilation: [2]int{d, d}, Groups: c}),
		NewConv(p, name+".pw", c, c, 1, 1, autograd.ConvOpts{}),
		NewBatchNorm(p, name+".bn", c, affine)}
}

// NewReLUConvBN is ReLU → k×k conv → BN, the cell preprocessing block.
func NewReLUConvBN(p *Params, name string, cin, cout, k, s, pad int, affine bool) Seq {
	return Seq{ReLU{},
		NewConv(p, name+".conv", cin, cout, k, k, autograd.ConvOpts{Stride: [2]int{s, s}, Pad: [2]int{pad, pad}}),
		NewBatchNorm(p, name+".bn", cout, affine)}
}

// FactorizedReduce halves the resolution with two 1×1 stride-2 convs, the
// second on the input shifted by one pixel, concatenated (docs/method.md, Operations).
type FactorizedReduce struct {
	Conv1, Conv2 *Conv
	BN           *BatchNorm
}

// NewFactorizedReduce registers a cin→cout (even) FactorizedReduce.
func NewFactorizedReduce(p *Params, name string, cin, cout int, affine bool) *FactorizedReduce {
	if cout%2 != 0 {
		panic(fmt.Sprintf("nn: %s: FactorizedReduce needs an even output width, have %d", name, cout))
	}
	// 1×1 stride-2 convs, computed as 1×1 convs of the subsampled input.
	o := autograd.ConvOpts{}
	return &FactorizedReduce{
		Conv1: NewConv(p, name+".conv_1", cin, cout/2, 1, 1, o),
		Conv2: NewConv(p, name+".conv_2", cin, cout/2, 1, 1, o),
		BN:    NewBatchNorm(p, name+".bn", cout, affine),
	}
}

// Forward implements Layer. Both halves must come out the same size, which
// holds for even inputs (DARTS' reductions see 32/16 or 28/14).
func (f *FactorizedReduce) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	r := c.ReLU(x)
	a := f.Conv1.Forward(c, c.T.Subsample2(r, 0))
	b := f.Conv2.Forward(c, c.T.Subsample2(r, 1))
	return f.BN.Forward(c, c.T.Concat(a, b))
}

// Pool is max or average (count_include_pad=false) k×k pooling.
type Pool struct {
	Max     bool
	K, S, P int
}

// Forward implements Layer.
func (l Pool) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	if l.Max {
		return c.T.MaxPool(x, l.K, l.S, l.P)
	}
	return c.T.AvgPool(x, l.K, l.S, l.P)
}

// Identity passes its input through.
type Identity struct{}

// Forward implements Layer.
func (Identity) Forward(_ *Ctx, x *autograd.Var) *autograd.Var { return x }

// subsampled is the shape of x[:, :, ::s, ::s].
func subsampled(x *autograd.Var, s int) []int {
	sh := x.Shape()
	return []int{sh[0], sh[1], (sh[2] + s - 1) / s, (sh[3] + s - 1) / s}
}

// Zero is the `none` op: zeros shaped like x[:, :, ::s, ::s]. A MixedOp skips
// it altogether (a zero term adds nothing and has no gradient).
type Zero struct{ Stride int }

// Forward implements Layer.
func (z Zero) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	return c.T.Zeros(subsampled(x, z.Stride)...)
}

// Noise is RobustDARTS' `noise` op: fresh N(0,1) samples shaped like
// x[:, :, ::s, ::s], in train and eval mode alike.
type Noise struct{ Stride int }

// Forward implements Layer.
func (n Noise) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	return c.T.Noise(c.Rng, subsampled(x, n.Stride)...)
}
