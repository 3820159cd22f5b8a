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

// sums returns Σ(x−k) and Σ(x−k)² over one plane. Four float32 lanes keep
// the adds independent (a single float64 chain was a quarter of a step);
// planes are short (≤ 1024), and the shift k, the channel's first value,
// avoids cancellation in the variance.
func sums(x []float32, k float32) (s, q float64) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := x[i]-k, x[i+1]-k, x[i+2]-k, x[i+3]-k
		s0, s1, s2, s3 = s0+a, s1+b, s2+c, s3+d
		q0, q1, q2, q3 = q0+a*a, q1+b*b, q2+c*c, q3+d*d
	}
	for ; i < len(x); i++ {
		a := x[i] - k
		s0 += a
		q0 += a * a
	}
	return float64(s0) + float64(s1) + float64(s2) + float64(s3), float64(q0) + float64(q1) + float64(q2) + float64(q3)
}

// dots returns Σdy and Σdy·x over one plane, in four float32 lanes.
func dots(dy, x []float32) (s, d float64) {
	var s0, s1, s2, s3, d0, d1, d2, d3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0, s1, s2, s3 = s0+dy[i], s1+dy[i+1], s2+dy[i+2], s3+dy[i+3]
		d0, d1, d2, d3 = d0+dy[i]*x[i], d1+dy[i+1]*x[i+1], d2+dy[i+2]*x[i+2], d3+dy[i+3]*x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += dy[i]
		d0 += dy[i] * x[i]
	}
	return float64(s0) + float64(s1) + float64(s2) + float64(s3), float64(d0) + float64(d1) + float64(d2) + float64(d3)
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
	plane := func(i, ch int) []float32 { return xs[(i*c+ch)*hw : (i*c+ch+1)*hw] }
	param := func(v *Var, ch int, def float32) float32 {
		if v == nil {
			return def
		}
		return v.Value.Data[ch]
	}
	parallel.For(c, 1, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, vr float64
			if train {
				k := xs[ch*hw]
				var s, q float64
				for i := 0; i < n; i++ {
					ps, pq := sums(plane(i, ch), k)
					s, q = s+ps, q+pq
				}
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
			// y = x·scale + shift
			scale := is * param(gamma, ch, 1)
			shift := param(beta, ch, 0) - float32(mu)*scale
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				out := ys[off : off+hw]
				for j, v := range xs[off : off+hw] {
					out[j] = v*scale + shift
				}
			}
		}
	})
	t.record(y, func() {
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
				var sdy, sdyxr float64 // Σdy and Σdy·x
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					a, b := dots(dy[off:off+hw], xs[off:off+hw])
					sdy, sdyxr = sdy+a, sdyxr+b
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
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					d, g, xv := dx[off:off+hw], dy[off:off+hw], xs[off:off+hw]
					if fresh {
						for j := range d {
							d[j] = k*g[j] + p*xv[j] + q
						}
					} else {
						for j := range d {
							d[j] += k*g[j] + p*xv[j] + q
						}
					}
				}
			}
		})
	})
	return y
}
