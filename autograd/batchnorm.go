package autograd

import (
	"fmt"
	"math"

	"github.com/rdarts/rdarts/internal/parallel"
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
	n, c, h, w := x.Value.Dims("autograd: BatchNorm")
	if len(st.Mean) != c || (gamma != nil && gamma.Value.Len() != c) || (beta != nil && beta.Value.Len() != c) {
		panic(fmt.Sprintf("autograd: BatchNorm: parameters do not have %d channels", c))
	}
	hw, m := h*w, n*h*w
	y := t.out(t.arena.Get(x.Shape()...), x, gamma, beta)
	mean, invstd := make([]float32, c), make([]float32, c)
	xs, ys := x.Value.Data, y.Value.Data
	plane := func(ch int, f func(seg []float32, off int)) {
		for i := 0; i < n; i++ {
			off := (i*c + ch) * hw
			f(xs[off:off+hw], off)
		}
	}
	parallel.For(c, 1, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, vr float64
			if train {
				var s float64
				plane(ch, func(seg []float32, _ int) {
					for _, v := range seg {
						s += float64(v)
					}
				})
				mu = s / float64(m)
				var q float64
				plane(ch, func(seg []float32, _ int) {
					for _, v := range seg {
						d := float64(v) - mu
						q += d * d
					}
				})
				vr = q / float64(m)
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
			g, b := float32(1), float32(0)
			if gamma != nil {
				g = gamma.Value.Data[ch]
			}
			if beta != nil {
				b = beta.Value.Data[ch]
			}
			mu32, scale := float32(mu), is*g
			plane(ch, func(seg []float32, off int) {
				out := ys[off : off+hw]
				for j, v := range seg {
					out[j] = (v-mu32)*scale + b
				}
			})
		}
	})
	t.record(y, func() {
		dy := y.Grad.Data
		var dx, dg, db []float32
		if x.Requires {
			dx = t.grad(x)
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
				var sdy, sdyx float64 // Σdy and Σdy·x̂
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					for j, v := range xs[off : off+hw] {
						d := float64(dy[off+j])
						sdy += d
						sdyx += d * float64((v-mu)*is)
					}
				}
				if dg != nil {
					dg[ch] += float32(sdyx)
				}
				if db != nil {
					db[ch] += float32(sdy)
				}
				if dx == nil {
					continue
				}
				g := float32(1)
				if gamma != nil {
					g = gamma.Value.Data[ch]
				}
				if !train {
					// Running statistics are constants: dx = dy·γ/σ.
					for i := 0; i < n; i++ {
						off := (i*c + ch) * hw
						for j := off; j < off+hw; j++ {
							dx[j] += dy[j] * g * is
						}
					}
					continue
				}
				// dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))
				k := g * is
				a, b := float32(sdy/float64(m)), float32(sdyx/float64(m))
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					for j, v := range xs[off : off+hw] {
						dx[off+j] += k * (dy[off+j] - a - (v-mu)*is*b)
					}
				}
			}
		})
	})
	return y
}
