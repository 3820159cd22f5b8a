package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rdarts/rdarts/internal/parallel"
	"github.com/rdarts/rdarts/internal/vec"
)

// grain is the smallest loop worth splitting across cores.
const grain = 1 << 14

// ReLU is max(x, 0). Its gradient at exactly 0 is taken as 0, as in PyTorch.
func (t *Tape) ReLU(x *Var) *Var {
	if t.Kinks != nil {
		return t.maskedReLU(x, t.Kinks.reluMask(x.Value.Data))
	}
	y := t.out(t.arena.Get(x.Shape()...), x)
	xs, ys := x.Value.Data, y.Value.Data
	parallel.For(len(xs), grain, func(_, lo, hi int) { vec.ReLU(ys[lo:hi], xs[lo:hi]) })
	t.record(y, func() {
		dx, fresh := t.gradBuf(x)
		dy := y.Grad.Data
		parallel.For(len(xs), grain, func(_, lo, hi int) { vec.ReLUGrad(dx[lo:hi], ys[lo:hi], dy[lo:hi], !fresh) })
	})
	return y
}

// maskedReLU is x where the mask bit is set, else 0: ReLU with a frozen
// active set (see Kinks).
func (t *Tape) maskedReLU(x *Var, mask []uint64) *Var {
	y := t.out(t.arena.Get(x.Shape()...), x)
	// apply writes (or adds) src where the mask bit is set, 0 elsewhere;
	// chunks are multiples of 64 so each worker owns whole mask words.
	apply := func(dst, src []float32, add bool) {
		parallel.For(len(mask), grain/64, func(_, lo, hi int) {
			for w := lo; w < hi; w++ {
				bits := mask[w]
				end := min(64*w+64, len(src))
				for i := 64 * w; i < end; i++ {
					m := -uint32(bits & 1) // all ones if set
					bits >>= 1
					g := math.Float32frombits(math.Float32bits(src[i]) & m)
					if add {
						dst[i] += g
					} else {
						dst[i] = g
					}
				}
			}
		})
	}
	apply(y.Value.Data, x.Value.Data, false)
	t.record(y, func() {
		dx, fresh := t.gradBuf(x)
		apply(dx, y.Grad.Data, !fresh)
	})
	return y
}

// Add is a + b.
func (t *Tape) Add(a, b *Var) *Var { return t.AddN(a, b) }

// AddN is the sum of its inputs (all of one shape), e.g. a DARTS node.
func (t *Tape) AddN(xs ...*Var) *Var {
	for _, x := range xs[1:] {
		mustSame("AddN", xs[0], x)
	}
	y := t.out(t.arena.Get(xs[0].Shape()...), xs...)
	ys := y.Value.Data
	parallel.For(len(ys), grain, func(_, lo, hi int) {
		copy(ys[lo:hi], xs[0].Value.Data[lo:hi])
		for _, x := range xs[1:] {
			vec.Axpy(ys[lo:hi], 1, x.Value.Data[lo:hi], true)
		}
	})
	t.record(y, func() { t.passGrads(y, xs) })
	return y
}

// WeightedSum is Σ_k w[off+k]·xs[k]: the mixing of a DARTS MixedOp, with the
// weights taken from a tensor (softmax(α) or one-hot α). A nil entry of xs
// stands for the zero op: it adds nothing and its weight gets no gradient.
// All non-nil xs share one shape; at least one must be non-nil.
func (t *Tape) WeightedSum(w *Var, off int, xs []*Var) *Var {
	var first *Var
	for _, x := range xs {
		if x != nil {
			if first == nil {
				first = x
			}
			mustSame("WeightedSum", first, x)
		}
	}
	if first == nil || off < 0 || off+len(xs) > w.Value.Len() {
		panic(fmt.Sprintf("autograd: WeightedSum: %d terms at offset %d of a weight tensor of %d (need a non-nil term)", len(xs), off, w.Value.Len()))
	}
	ins := append([]*Var{w}, xs...)
	y := t.out(t.arena.Get(first.Shape()...), ins...)
	ys, ws := y.Value.Data, w.Value.Data[off:off+len(xs)]
	parallel.For(len(ys), grain, func(_, lo, hi int) {
		// vec.WeightedSum adds the terms tile by tile, so the output stays
		// in cache across the terms; the bits are those of one Axpy per term.
		parts := make([][]float32, len(xs))
		for k, x := range xs {
			if x != nil {
				parts[k] = x.Value.Data[lo:hi]
			}
		}
		vec.WeightedSum(ys[lo:hi], ws, parts)
	})
	t.record(y, func() {
		// ∂/∂w_k = Σ dy·x_k and dx_k (+)= w_k·dy, every term in one pass
		// over dy: tile by tile, so a tile of dy stays in cache across the
		// terms. Each sum is per-chunk Dots added in chunk order (the bits
		// the term-by-term loop gave), and a repeated x still collects its
		// terms in order.
		type term struct {
			k   int
			x   []float32
			dx  []float32 // nil: no gradient for x
			add bool
		}
		var terms []term
		for k, x := range xs {
			if x == nil || !x.Requires && !w.Requires {
				continue
			}
			tm := term{k: k, x: x.Value.Data}
			if x.Requires {
				var fresh bool
				tm.dx, fresh = t.gradBuf(x)
				tm.add = !fresh
			}
			terms = append(terms, tm)
		}
		dy, nt := y.Grad.Data, len(terms)
		parts := make([]float64, parallel.Chunks(len(dy), grain)*nt)
		parallel.For(len(dy), grain, func(c, lo, hi int) {
			for t0 := lo; t0 < hi; t0 += sumTile {
				t1 := min(t0+sumTile, hi)
				for i, tm := range terms {
					var dx []float32
					if tm.dx != nil {
						dx = tm.dx[t0:t1]
					}
					parts[c*nt+i] = vec.DotAxpy(dx, ws[tm.k], dy[t0:t1], tm.x[t0:t1], tm.add, parts[c*nt+i])
				}
			}
		})
		if w.Requires {
			g := t.grad(w)
			for i, tm := range terms {
				var s float64
				for c := 0; c < len(parts)/nt; c++ {
					s += parts[c*nt+i]
				}
				g[off+tm.k] += float32(s)
			}
		}
	})
	return y
}

// sumTile is the tile of WeightedSum's backward: 64 KiB of each operand,
// and a whole number of vec's 1024-value blocks, so that DotAxpy's sums
// carried across tiles are Dot's.
const sumTile = 16 << 10

// Scale is s·x for a constant s.
func (t *Tape) Scale(x *Var, s float32) *Var {
	y := t.out(t.arena.Get(x.Shape()...), x)
	xs, ys := x.Value.Data, y.Value.Data
	for i := range xs {
		ys[i] = s * xs[i]
	}
	t.record(y, func() { t.accum(x, s, y.Grad.Data) })
	return y
}

// DropPath multiplies sample n of x by mask[n]: 0 for a dropped path, 1/keep
// for a kept one (docs/method.md, ScheduledDropPath). The mask is drawn by the caller so that the
// random stream stays in one place.
func (t *Tape) DropPath(x *Var, mask []float32) *Var {
	n, c, h, w := x.Value.Dims("autograd: DropPath")
	if len(mask) != n {
		panic(fmt.Sprintf("autograd: DropPath: mask has %d entries for batch %d", len(mask), n))
	}
	per := c * h * w
	y := t.out(t.arena.Get(x.Shape()...), x)
	for i := 0; i < n; i++ {
		src, dst := x.Value.Data[i*per:(i+1)*per], y.Value.Data[i*per:(i+1)*per]
		for j := range src {
			dst[j] = src[j] * mask[i]
		}
	}
	t.record(y, func() {
		dx, fresh := t.gradBuf(x)
		dy := y.Grad.Data
		for i := 0; i < n; i++ {
			d, s := dx[i*per:(i+1)*per], dy[i*per:(i+1)*per]
			if fresh {
				for j := range d {
					d[j] = s[j] * mask[i]
				}
			} else {
				for j := range d {
					d[j] += s[j] * mask[i]
				}
			}
		}
	})
	return y
}

// Concat joins 4-D tensors along channels.
func (t *Tape) Concat(xs ...*Var) *Var {
	n, _, h, w := xs[0].Value.Dims("autograd: Concat")
	ctot := 0
	for _, x := range xs {
		xn, xc, xh, xw := x.Value.Dims("autograd: Concat")
		if xn != n || xh != h || xw != w {
			panic(fmt.Sprintf("autograd: Concat: shape %v does not match %v", x.Shape(), xs[0].Shape()))
		}
		ctot += xc
	}
	y := t.out(t.arena.Get(n, ctot, h, w), xs...)
	hw := h * w
	// each visits the per-sample blocks of every input: (input, its
	// offset, the block's offset in y, block size). Samples are split
	// over workers, and each sample's blocks run in input order as
	// before, so a repeated input adds its blocks in the same order and
	// only one worker touches a sample's gradient.
	each := func(f func(x *Var, xo, yo, size int)) {
		parallel.For(n, max(1, grain/(ctot*hw)), func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				off := 0
				for _, x := range xs {
					xc := x.Shape()[1]
					f(x, i*xc*hw, (i*ctot+off)*hw, xc*hw)
					off += xc
				}
			}
		})
	}
	each(func(x *Var, xo, yo, size int) { copy(y.Value.Data[yo:yo+size], x.Value.Data[xo:xo+size]) })
	t.record(y, func() {
		fresh := map[*Var]bool{}
		for i, x := range xs {
			if !x.Requires {
				continue
			}
			if slices.Contains(xs[:i], x) {
				// A repeated input collects two blocks: add, from zero.
				if fresh[x] {
					clear(x.Grad.Data)
				}
				fresh[x] = false
				continue
			}
			_, fresh[x] = t.gradBuf(x)
		}
		each(func(x *Var, xo, yo, size int) {
			if !x.Requires {
				return
			}
			dx, dy := x.Grad.Data[xo:xo+size], y.Grad.Data[yo:yo+size]
			if fresh[x] {
				copy(dx, dy)
				return
			}
			for j := range dx {
				dx[j] += dy[j]
			}
		})
	})
	return y
}

// Shift is x[:, :, 1:, 1:], the pixel shift of the reference's FactorizedReduce
// (rdarts computes that block with Subsample2, which fuses the shift with
// the stride).
func (t *Tape) Shift(x *Var) *Var {
	n, c, h, w := x.Value.Dims("autograd: Shift")
	if h < 2 || w < 2 {
		panic(fmt.Sprintf("autograd: Shift: input %v too small", x.Shape()))
	}
	y := t.out(t.arena.Get(n, c, h-1, w-1), x)
	rows := func(f func(yo, xo int)) {
		for p := 0; p < n*c; p++ {
			for r := 1; r < h; r++ {
				f((p*(h-1)+r-1)*(w-1), (p*h+r)*w+1)
			}
		}
	}
	rows(func(yo, xo int) { copy(y.Value.Data[yo:yo+w-1], x.Value.Data[xo:xo+w-1]) })
	t.record(y, func() {
		dx, dy := t.grad(x), y.Grad.Data
		rows(func(yo, xo int) {
			for j := 0; j < w-1; j++ {
				dx[xo+j] += dy[yo+j]
			}
		})
	})
	return y
}

// Subsample2 is x[:, :, off::2, off::2] (off 0 or 1). FactorizedReduce's
// 1×1 stride-2 convs are 1×1 stride-1 convs of these, which run as plain
// GEMMs instead of through im2col, and off 1 replaces the pixel shift.
func (t *Tape) Subsample2(x *Var, off int) *Var {
	n, c, h, w := x.Value.Dims("autograd: Subsample2")
	if off != 0 && off != 1 || h <= off || w <= off {
		panic(fmt.Sprintf("autograd: Subsample2: offset %d of input %v", off, x.Shape()))
	}
	oh, ow := (h-off+1)/2, (w-off+1)/2
	y := t.out(t.arena.Get(n, c, oh, ow), x)
	planes := func(f func(src, dst []float32)) {
		parallel.For(n*c, 64, func(_, lo, hi int) {
			for p := lo; p < hi; p++ {
				f(x.Value.Data[p*h*w:(p+1)*h*w], y.Value.Data[p*oh*ow:(p+1)*oh*ow])
			}
		})
	}
	planes(func(src, dst []float32) {
		for r := 0; r < oh; r++ {
			row, d := src[(2*r+off)*w:], dst[r*ow:(r+1)*ow]
			for j := range d {
				d[j] = row[2*j+off]
			}
		}
	})
	t.record(y, func() {
		dx := t.grad(x) // zeroed: only a quarter of it is written
		parallel.For(n*c, 64, func(_, lo, hi int) {
			for p := lo; p < hi; p++ {
				g, d := y.Grad.Data[p*oh*ow:(p+1)*oh*ow], dx[p*h*w:(p+1)*h*w]
				for r := 0; r < oh; r++ {
					row := d[(2*r+off)*w:]
					for j, v := range g[r*ow : (r+1)*ow] {
						row[2*j+off] += v
					}
				}
			}
		})
	})
	return y
}

// Zeros is a constant zero tensor, e.g. the output of the zero op.
func (t *Tape) Zeros(shape ...int) *Var { return &Var{Value: t.arena.Zeros(shape...)} }

// Noise is the RobustDARTS noise op: fresh N(0,1) samples of the given
// shape, independent of any input, so no gradient flows back through it.
func (t *Tape) Noise(r *rand.Rand, shape ...int) *Var {
	v := t.arena.Get(shape...)
	for i := range v.Data {
		v.Data[i] = float32(r.NormFloat64())
	}
	return &Var{Value: v}
}

// Softplus is log(1+exp(β·x))/β, a smooth stand-in for ReLU: tests swap it in
// (nn.Ctx.Smooth) where finite differences of a whole network must not be
// spoiled by ReLU kinks.
func (t *Tape) Softplus(x *Var, beta float32) *Var {
	y := t.out(t.arena.Get(x.Shape()...), x)
	xs, ys := x.Value.Data, y.Value.Data
	for i, v := range xs {
		z := float64(beta * v)
		if z > 20 {
			ys[i] = v
		} else {
			ys[i] = float32(math.Log1p(math.Exp(z)) / float64(beta))
		}
	}
	t.record(y, func() {
		dx, dy := t.grad(x), y.Grad.Data
		for i, v := range xs {
			dx[i] += dy[i] * float32(1/(1+math.Exp(-float64(beta*v))))
		}
	})
	return y
}
