package autograd

import (
	"fmt"
	"math"

	"github.com/rdarts/rdarts/internal/parallel"
	"github.com/rdarts/rdarts/internal/vec"
)

// BNState is a batch-norm layer's running statistics.
type BNState struct {
	Mean, Var []float32
	Momentum  float32 // 0.1
	Eps       float32 // 1e-5
}

// NewBNState starts running statistics at mean 0, variance 1, as PyTorch.
func NewBNState(c int) *BNState {
	s := &BNState{Mean: make([]float32, c), Var: make([]float32, c), Momentum: 0.1, Eps: 1e-5}
	for i := range s.Var {
		s.Var[i] = 1
	}
	return s
}

// BatchNorm normalises each channel of x. In training mode it uses the
// batch's mean and biased variance and updates st (running variance with the
// unbiased estimate, as PyTorch); otherwise it uses st. gamma and beta
// (length C) are nil for affine=false.
func (t *Tape) BatchNorm(x, gamma, beta *Var, st *BNState, train bool) *Var {
	return t.batchNorm(x, gamma, beta, st, train, false)
}

// BatchNormReLU is ReLU(BatchNorm(...)) as one op: a separable conv's first
// half ends in BN and its second begins with ReLU, and fusing them saves a
// tensor and two passes over memory.
// With Kinks set it runs unfused, so the ReLU's choices are recorded.
func (t *Tape) BatchNormReLU(x, gamma, beta *Var, st *BNState, train bool) *Var {
	if t.Kinks != nil {
		return t.ReLU(t.batchNorm(x, gamma, beta, st, train, false))
	}
	return t.batchNorm(x, gamma, beta, st, train, true)
}

func (t *Tape) batchNorm(x, gamma, beta *Var, st *BNState, train, relu bool) *Var {
	n, c, h, w := x.Value.Dims("autograd: BatchNorm")
	if len(st.Mean) != c || (gamma != nil && gamma.Value.Len() != c) || (beta != nil && beta.Value.Len() != c) {
		panic(fmt.Sprintf("autograd: BatchNorm: parameters do not have %d channels", c))
	}
	hw, m, stride := h*w, n*h*w, c*h*w
	y := t.out(t.arena.Get(x.Shape()...), x, gamma, beta)
	mean, invstd := make([]float32, c), make([]float32, c)
	xs, ys := x.Value.Data, y.Value.Data
	param := func(v *Var, ch int, def float32) float32 {
		if v == nil {
			return def
		}
		return v.Value.Data[ch]
	}
	// chan returns channel ch's planes of a tensor shaped like x.
	chanOf := func(d []float32, ch int) []float32 { return d[ch*hw:] }
	parallel.For(c, 1, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, vr float64
			if train {
				// Shifted by the channel's first value against cancellation.
				k := xs[ch*hw]
				s, q := vec.SumSq(chanOf(xs, ch), n, hw, stride, k)
				d := s / float64(m)
				mu, vr = float64(k)+d, max(q/float64(m)-d*d, 0)
				mom := float64(st.Momentum)
				unbiased := vr
				if m > 1 {
					unbiased = vr * float64(m) / float64(m-1)
				}
				st.Mean[ch] = float32((1-mom)*float64(st.Mean[ch]) + mom*mu)
				st.Var[ch] = float32((1-mom)*float64(st.Var[ch]) + mom*unbiased)
			} else {
				mu, vr = float64(st.Mean[ch]), float64(st.Var[ch])
			}
			is := float32(1 / math.Sqrt(vr+float64(st.Eps)))
			mean[ch], invstd[ch] = float32(mu), is
			scale := is * param(gamma, ch, 1)
			shift := param(beta, ch, 0) - float32(mu)*scale
			if relu {
				vec.AffineReLU(chanOf(ys, ch), chanOf(xs, ch), n, hw, stride, scale, shift)
			} else {
				vec.Affine(chanOf(ys, ch), chanOf(xs, ch), n, hw, stride, scale, shift)
			}
		}
	})
	t.record(y, func() {
		// With relu, dy is masked by the output on the fly (vec's *ReLU
		// kernels): the bits of ReLUGrad first, without its pass.
		dy := y.Grad.Data
		var dx, dg, db []float32
		fresh := false
		if x.Requires {
			dx, fresh = t.gradBuf(x)
		}
		if gamma != nil && gamma.Requires {
			dg = t.grad(gamma)
		}
		if beta != nil && beta.Requires {
			db = t.grad(beta)
		}
		parallel.For(c, 1, func(_, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				mu, is := mean[ch], invstd[ch]
				var sdy, sdyxr float64 // Σdy, Σdy·x
				if relu {
					sdy, sdyxr = vec.DotsReLU(chanOf(dy, ch), chanOf(ys, ch), chanOf(xs, ch), n, hw, stride)
				} else {
					sdy, sdyxr = vec.Dots(chanOf(dy, ch), chanOf(xs, ch), n, hw, stride)
				}
				sdyx := float64(is) * (sdyxr - float64(mu)*sdy) // Σdy·x̂
				if dg != nil {
					dg[ch] += float32(sdyx)
				}
				if db != nil {
					db[ch] += float32(sdy)
				}
				if dx == nil {
					continue
				}
				k := param(gamma, ch, 1) * is
				// Training: dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) = k·dy + p·x + q.
				// Eval (running statistics are constants): dx = γ/σ·dy.
				var p, q float32
				if train {
					a, b := float32(sdy/float64(m)), float32(sdyx/float64(m))
					p = -k * is * b
					q = -k*a + k*is*b*mu
				}
				if relu {
					vec.AffineGradReLU(chanOf(dx, ch), chanOf(dy, ch), chanOf(ys, ch), chanOf(xs, ch), n, hw, stride, k, p, q, !fresh)
				} else {
					vec.AffineGrad(chanOf(dx, ch), chanOf(dy, ch), chanOf(xs, ch), n, hw, stride, k, p, q, !fresh)
				}
			}
		})
	})
	return y
}
