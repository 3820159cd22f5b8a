// Package purego is the reference kernels backend: plain loops, one
// goroutine, no cgo. Every faster backend is tested against it, so it is
// written to be read, not to be fast.
package purego

import (
	"fmt"
	"math"

	"github.com/rdarts/rdarts/internal/kernels"
)

// Backend is the pure-Go reference implementation.
type Backend struct{}

var _ kernels.Backend = Backend{}

// Name implements kernels.Backend.
func (Backend) Name() string { return "purego" }

// Sgemm implements kernels.Backend with the textbook triple loop.
func (Backend) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	CheckGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for l := 0; l < k; l++ {
				var av, bv float32
				if tA {
					av = a[l*lda+i]
				} else {
					av = a[i*lda+l]
				}
				if tB {
					bv = b[j*ldb+l]
				} else {
					bv = b[l*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

// CheckGemm panics if the GEMM operands are inconsistent.
func CheckGemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	if m < 0 || n < 0 || k < 0 || lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) ||
		(ar > 0 && len(a) < (ar-1)*lda+ac) || (br > 0 && len(b) < (br-1)*ldb+bc) || (m > 0 && len(c) < (m-1)*ldc+n) {
		panic(fmt.Sprintf("kernels: sgemm: bad operands m=%d n=%d k=%d lda=%d ldb=%d ldc=%d len a,b,c=%d,%d,%d",
			m, n, k, lda, ldb, ldc, len(a), len(b), len(c)))
	}
}

// convLoop visits every (output, filter tap, input) triple that is inside
// the image; forward and both backward passes are this one loop.
func convLoop(p kernels.Conv, f func(yi, wi, xi int)) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			g := k / kg
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					yi := ((n*p.K+k)*oh+oy)*ow + ox
					for c := 0; c < cg; c++ {
						ci := g*cg + c
						for ky := 0; ky < p.KH; ky++ {
							iy := oy*p.SH - p.PH + ky*p.DH
							if iy < 0 || iy >= p.H {
								continue
							}
							for kx := 0; kx < p.KW; kx++ {
								ix := ox*p.SW - p.PW + kx*p.DW
								if ix < 0 || ix >= p.W {
									continue
								}
								wi := ((k*cg+c)*p.KH+ky)*p.KW + kx
								xi := ((n*p.C+ci)*p.H+iy)*p.W + ix
								f(yi, wi, xi)
							}
						}
					}
				}
			}
		}
	}
}

// ConvForward implements kernels.Backend.
func (Backend) ConvForward(p kernels.Conv, x, w, y []float32) {
	p.Check(x, w, y)
	clear(y[:p.YLen()])
	convLoop(p, func(yi, wi, xi int) { y[yi] += w[wi] * x[xi] })
}

// ConvBackwardData implements kernels.Backend.
func (Backend) ConvBackwardData(p kernels.Conv, dy, w, dx []float32, add bool) {
	p.Check(dx, w, dy)
	if !add {
		clear(dx[:p.XLen()])
	}
	convLoop(p, func(yi, wi, xi int) { dx[xi] += w[wi] * dy[yi] })
}

// ConvBackwardFilter implements kernels.Backend.
func (Backend) ConvBackwardFilter(p kernels.Conv, x, dy, dw []float32) {
	p.Check(x, dw, dy)
	convLoop(p, func(yi, wi, xi int) { dw[wi] += x[xi] * dy[yi] })
}

// poolLoop visits each output and the in-image pixels of its window.
func poolLoop(p kernels.Pool, out func(yi, plane int), in func(yi, plane, off int)) {
	oh, ow := p.OutH(), p.OutW()
	for pl := 0; pl < p.N*p.C; pl++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				yi := (pl*oh+oy)*ow + ox
				out(yi, pl)
				for ky := 0; ky < p.K; ky++ {
					iy := oy*p.S - p.P + ky
					if iy < 0 || iy >= p.H {
						continue
					}
					for kx := 0; kx < p.K; kx++ {
						ix := ox*p.S - p.P + kx
						if ix < 0 || ix >= p.W {
							continue
						}
						in(yi, pl, iy*p.W+ix)
					}
				}
			}
		}
	}
}

// CheckArg panics if the max pool's winner indices are too short for p;
// Pool.Check does not see them.
func CheckArg(p kernels.Pool, arg []int32) {
	if n := p.N * p.C * p.OutH() * p.OutW(); len(arg) < n {
		panic(fmt.Sprintf("kernels: max pool: arg %d too short, want %d for %+v", len(arg), n, p))
	}
}

// MaxPoolForward implements kernels.Backend.
func (Backend) MaxPoolForward(p kernels.Pool, x, y []float32, arg []int32) {
	p.Check(x, y)
	CheckArg(p, arg)
	hw := p.H * p.W
	poolLoop(p, func(yi, _ int) { y[yi] = float32(math.Inf(-1)); arg[yi] = -1 },
		func(yi, pl, off int) {
			if v := x[pl*hw+off]; v > y[yi] || arg[yi] < 0 {
				y[yi], arg[yi] = v, int32(off)
			}
		})
}

// MaxPoolBackward implements kernels.Backend.
func (Backend) MaxPoolBackward(p kernels.Pool, dy []float32, arg []int32, dx []float32) {
	p.Check(dx, dy)
	CheckArg(p, arg)
	oh, ow, hw := p.OutH(), p.OutW(), p.H*p.W
	for pl := 0; pl < p.N*p.C; pl++ {
		for o := 0; o < oh*ow; o++ {
			yi := pl*oh*ow + o
			dx[pl*hw+int(arg[yi])] += dy[yi]
		}
	}
}

// AvgPoolForward implements kernels.Backend.
func (Backend) AvgPoolForward(p kernels.Pool, x, y []float32) {
	p.Check(x, y)
	hw := p.H * p.W
	cnt := make([]int, p.N*p.C*p.OutH()*p.OutW())
	poolLoop(p, func(yi, _ int) { y[yi] = 0 }, func(yi, pl, off int) { y[yi] += x[pl*hw+off]; cnt[yi]++ })
	for i, c := range cnt {
		y[i] /= float32(c)
	}
}

// AvgPoolBackward implements kernels.Backend.
func (Backend) AvgPoolBackward(p kernels.Pool, dy, dx []float32) {
	p.Check(dx, dy)
	hw := p.H * p.W
	cnt := make([]int, p.N*p.C*p.OutH()*p.OutW())
	poolLoop(p, func(int, int) {}, func(yi, _, _ int) { cnt[yi]++ })
	poolLoop(p, func(int, int) {}, func(yi, pl, off int) { dx[pl*hw+off] += dy[yi] / float32(cnt[yi]) })
}
