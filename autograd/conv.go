package autograd

import (
	"fmt"

	"github.com/rdarts/rdarts/internal/kernels"
)

// ConvOpts are a convolution's stride, padding and dilation per axis
// (height, width) and its groups. The zero value means stride 1, no padding,
// dilation 1, one group.
type ConvOpts struct {
	Stride, Pad, Dilation [2]int
	Groups                int
}

func (o ConvOpts) params(x, w *Var) kernels.Conv {
	n, c, h, wd := x.Value.Dims("autograd: Conv2d input")
	k, cg, kh, kw := w.Value.Dims("autograd: Conv2d filter")
	p := kernels.Conv{N: n, C: c, H: h, W: wd, K: k, KH: kh, KW: kw,
		SH: max(o.Stride[0], 1), SW: max(o.Stride[1], 1), PH: o.Pad[0], PW: o.Pad[1],
		DH: max(o.Dilation[0], 1), DW: max(o.Dilation[1], 1), Groups: max(o.Groups, 1)}
	if c%p.Groups != 0 || cg != c/p.Groups || k%p.Groups != 0 {
		panic(fmt.Sprintf("autograd: Conv2d: input %v, filter %v and %d groups do not fit", x.Shape(), w.Shape(), p.Groups))
	}
	return p
}

// Conv2d is the 2-D cross-correlation of x (N×C×H×W) with w
// (K×C/groups×KH×KW), without bias.
func (t *Tape) Conv2d(x, w *Var, o ConvOpts) *Var {
	p := o.params(x, w)
	y := t.out(t.arena.Get(p.N, p.K, p.OutH(), p.OutW()), x, w)
	t.K.ConvForward(p, x.Value.Data, w.Value.Data, y.Value.Data)
	t.record(y, func() {
		if x.Requires {
			dx, fresh := t.gradBuf(x)
			t.K.ConvBackwardData(p, y.Grad.Data, w.Value.Data, dx, !fresh)
		}
		if w.Requires {
			t.K.ConvBackwardFilter(p, x.Value.Data, y.Grad.Data, t.grad(w))
		}
	})
	return y
}

// MaxPool is k×k max pooling with stride s and padding p; padding never wins.
func (t *Tape) MaxPool(x *Var, k, s, pad int) *Var {
	n, c, h, w := x.Value.Dims("autograd: MaxPool")
	p := kernels.Pool{N: n, C: c, H: h, W: w, K: k, S: s, P: pad}
	y := t.out(t.arena.Get(n, c, p.OutH(), p.OutW()), x)
	arg := t.arena.Int32s(y.Value.Len())
	t.K.MaxPoolForward(p, x.Value.Data, y.Value.Data, arg)
	if t.Kinks != nil {
		if rec, replay := t.Kinks.poolArg(arg); replay {
			// Frozen winners: gather them instead of taking the maximum.
			arg = rec
			hw, ohw := h*w, p.OutH()*p.OutW()
			for i := range y.Value.Data {
				y.Value.Data[i] = x.Value.Data[(i/ohw)*hw+int(arg[i])]
			}
		}
	}
	t.record(y, func() { t.K.MaxPoolBackward(p, y.Grad.Data, arg, t.grad(x)) })
	return y
}

// AvgPool is k×k average pooling with stride s and padding p, dividing by
// the number of real pixels in each window (count_include_pad=false).
func (t *Tape) AvgPool(x *Var, k, s, pad int) *Var {
	n, c, h, w := x.Value.Dims("autograd: AvgPool")
	p := kernels.Pool{N: n, C: c, H: h, W: w, K: k, S: s, P: pad}
	y := t.out(t.arena.Get(n, c, p.OutH(), p.OutW()), x)
	t.K.AvgPoolForward(p, x.Value.Data, y.Value.Data)
	t.record(y, func() { t.K.AvgPoolBackward(p, y.Grad.Data, t.grad(x)) })
	return y
}

// GlobalAvgPool averages each channel: N×C×H×W → N×C.
func (t *Tape) GlobalAvgPool(x *Var) *Var {
	n, c, h, w := x.Value.Dims("autograd: GlobalAvgPool")
	hw := h * w
	y := t.out(t.arena.Get(n, c), x)
	for i := 0; i < n*c; i++ {
		var s float32
		for _, v := range x.Value.Data[i*hw : (i+1)*hw] {
			s += v
		}
		y.Value.Data[i] = s / float32(hw)
	}
	t.record(y, func() {
		dx := t.grad(x)
		for i := 0; i < n*c; i++ {
			g := y.Grad.Data[i] / float32(hw)
			for j := i * hw; j < (i+1)*hw; j++ {
				dx[j] += g
			}
		}
	})
	return y
}
