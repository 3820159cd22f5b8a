package fast

import (
	"math"
	"sync"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/internal/parallel"
)

// Pools run over (n, c) planes split across workers (Go hands each worker's
// range to one call: vectorised C, pool.c, when cgo is on; the Go loops
// below otherwise, which give the same bits) and are separable: a
// horizontal pass reduces each input row over the window's columns into an
// H×OW buffer, a vertical pass reduces that over the window's rows. That
// is 2K instead of K² operations per output, and both passes are loops
// over contiguous rows with windows clamped once per output column or
// row, so padding costs nothing in the inner loops.
//
// Max pool keeps the reference's choice of winner (the first strict
// maximum in row-major window order; a NaN is kept only if it comes
// first): the first maximum of the first row holding the window maximum.
// The updates are written so the compiler emits conditional moves, since
// on random data "is this larger" is a coin flip the branch predictor
// loses.

// int32Pool holds per-worker index buffers for max pool.
var int32Pool = sync.Pool{New: func() any { return new([]int32) }}

// windows fills lo, hi with each output's clamped input range along
// one axis of length n.
func windows(lo, hi []int, n, k, s, p int) {
	for o := range lo {
		lo[o], hi[o] = max(o*s-p, 0), min(o*s-p+k, n)
	}
}

// poolImpl is one implementation of the per-range work of the pools:
// each function handles the planes (n·C + c) in [lo, hi).
type poolImpl struct {
	maxForward  func(p kernels.Pool, x, y []float32, arg []int32, lo, hi int)
	avgForward  func(p kernels.Pool, x, y []float32, lo, hi int)
	avgBackward func(p kernels.Pool, dy, dx []float32, lo, hi int)
}

// goPool is the Go implementation.
var goPool = poolImpl{maxForward: goMaxPoolForward, avgForward: goAvgPoolForward, avgBackward: goAvgPoolBackward}

// planes runs f over all N·C planes, split over workers.
func (Backend) poolPlanes(p kernels.Pool, f func(lo, hi int)) {
	parallel.For(p.N*p.C, grain(p.OutH()*p.OutW()*p.K*2), func(_, lo, hi int) { f(lo, hi) })
}

// MaxPoolForward implements kernels.Backend.
func (b Backend) MaxPoolForward(p kernels.Pool, x, y []float32, arg []int32) {
	p.Check(x, y)
	purego.CheckArg(p, arg)
	b.poolPlanes(p, func(lo, hi int) { poolDefault.maxForward(p, x, y, arg, lo, hi) })
}

// AvgPoolForward implements kernels.Backend.
func (b Backend) AvgPoolForward(p kernels.Pool, x, y []float32) {
	p.Check(x, y)
	b.poolPlanes(p, func(lo, hi int) { poolDefault.avgForward(p, x, y, lo, hi) })
}

// AvgPoolBackward implements kernels.Backend: the forward's two passes
// transposed (spread dy/count over rows, then over columns).
func (b Backend) AvgPoolBackward(p kernels.Pool, dy, dx []float32) {
	p.Check(dx, dy)
	b.poolPlanes(p, func(lo, hi int) { poolDefault.avgBackward(p, dy, dx, lo, hi) })
}

// poolRange runs body over the planes [lo, hi); body gets an H×OW float
// buffer and the clamped column and row windows.
func poolRange(p kernels.Pool, lo, hi int, body func(pl int, h []float32, cl, ch, rl, rh []int)) {
	oh, ow := p.OutH(), p.OutW()
	buf := getScratch(p.H * ow)
	win := make([]int, 2*ow+2*oh)
	cl, ch, rl, rh := win[:ow], win[ow:2*ow], win[2*ow:2*ow+oh], win[2*ow+oh:]
	windows(cl, ch, p.W, p.K, p.S, p.P)
	windows(rl, rh, p.H, p.K, p.S, p.P)
	for pl := lo; pl < hi; pl++ {
		body(pl, *buf, cl, ch, rl, rh)
	}
	putScratch(buf)
}

func goMaxPoolForward(p kernels.Pool, x, y []float32, arg []int32, lo, hi int) {
	oh, ow, hw := p.OutH(), p.OutW(), p.H*p.W
	poolRange(p, lo, hi, func(pl int, hm []float32, cl, ch, rl, rh []int) {
		ib := int32Pool.Get().(*[]int32)
		if cap(*ib) < p.H*ow {
			*ib = make([]int32, p.H*ow)
		}
		ha := (*ib)[:p.H*ow]
		xp, yp, ap := x[pl*hw:(pl+1)*hw], y[pl*oh*ow:(pl+1)*oh*ow], arg[pl*oh*ow:(pl+1)*oh*ow]
		// Horizontal: first maximum of each row window, as value bits so
		// the update is an integer conditional move.
		for iy := 0; iy < p.H; iy++ {
			row := xp[iy*p.W : (iy+1)*p.W]
			hrow, arow := hm[iy*ow:(iy+1)*ow], ha[iy*ow:(iy+1)*ow]
			for ox := range hrow {
				x0, x1 := cl[ox], ch[ox]
				m, a := row[x0], int32(iy*p.W+x0)
				for ix := x0 + 1; ix < x1; ix++ {
					m, a = maxArg(m, a, row[ix], int32(iy*p.W+ix))
				}
				hrow[ox], arow[ox] = m, a
			}
		}
		// Vertical: first row whose maximum beats the earlier ones.
		for oy := 0; oy < oh; oy++ {
			yrow, yarg := yp[oy*ow:(oy+1)*ow], ap[oy*ow:(oy+1)*ow]
			copy(yrow, hm[rl[oy]*ow:(rl[oy]+1)*ow])
			copy(yarg, ha[rl[oy]*ow:(rl[oy]+1)*ow])
			for iy := rl[oy] + 1; iy < rh[oy]; iy++ {
				hrow, arow := hm[iy*ow:(iy+1)*ow], ha[iy*ow:(iy+1)*ow]
				arow = arow[:len(hrow)]
				for ox, v := range hrow {
					yrow[ox], yarg[ox] = maxArg(yrow[ox], yarg[ox], v, arow[ox])
				}
			}
		}
		int32Pool.Put(ib)
	})
}

// maxArg returns (v, j) if v > m, else (m, i), without a branch: the
// comparison becomes a 0/-1 mask that selects the bits.
func maxArg(m float32, i int32, v float32, j int32) (float32, int32) {
	mask := -int32(b2i(v > m))
	mb, vb := math.Float32bits(m), math.Float32bits(v)
	return math.Float32frombits(mb ^ (mb^vb)&uint32(mask)), i ^ (i^j)&mask
}

// b2i is 1 for true; the compiler turns it into a SETcc, not a jump.
func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// MaxPoolBackward implements kernels.Backend.
func (Backend) MaxPoolBackward(p kernels.Pool, dy []float32, arg []int32, dx []float32) {
	p.Check(dx, dy)
	purego.CheckArg(p, arg)
	ohw, hw := p.OutH()*p.OutW(), p.H*p.W
	parallel.For(p.N*p.C, grain(ohw), func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dxp, dyp, ap := dx[pl*hw:(pl+1)*hw], dy[pl*ohw:(pl+1)*ohw], arg[pl*ohw:(pl+1)*ohw]
			for o, a := range ap {
				dxp[a] += dyp[o]
			}
		}
	})
}

func goAvgPoolForward(p kernels.Pool, x, y []float32, lo, hi int) {
	oh, ow, hw := p.OutH(), p.OutW(), p.H*p.W
	poolRange(p, lo, hi, func(pl int, hs []float32, cl, ch, rl, rh []int) {
		xp, yp := x[pl*hw:(pl+1)*hw], y[pl*oh*ow:(pl+1)*oh*ow]
		for iy := 0; iy < p.H; iy++ {
			row, hrow := xp[iy*p.W:(iy+1)*p.W], hs[iy*ow:(iy+1)*ow]
			for ox := range hrow {
				var s float32
				for _, v := range row[cl[ox]:ch[ox]] {
					s += v
				}
				hrow[ox] = s
			}
		}
		for oy := 0; oy < oh; oy++ {
			yrow := yp[oy*ow : (oy+1)*ow]
			copy(yrow, hs[rl[oy]*ow:(rl[oy]+1)*ow])
			for iy := rl[oy] + 1; iy < rh[oy]; iy++ {
				axpy1(yrow, hs[iy*ow:(iy+1)*ow])
			}
			nr := rh[oy] - rl[oy]
			for ox := range yrow {
				yrow[ox] /= float32(nr * (ch[ox] - cl[ox]))
			}
		}
	})
}

func goAvgPoolBackward(p kernels.Pool, dy, dx []float32, lo, hi int) {
	oh, ow, hw := p.OutH(), p.OutW(), p.H*p.W
	poolRange(p, lo, hi, func(pl int, hs []float32, cl, ch, rl, rh []int) {
		dxp, dyp := dx[pl*hw:(pl+1)*hw], dy[pl*oh*ow:(pl+1)*oh*ow]
		clear(hs)
		for oy := 0; oy < oh; oy++ {
			grow, nr := dyp[oy*ow:(oy+1)*ow], rh[oy]-rl[oy]
			for iy := rl[oy]; iy < rh[oy]; iy++ {
				hrow := hs[iy*ow : (iy+1)*ow]
				for ox, g := range grow {
					hrow[ox] += g / float32(nr*(ch[ox]-cl[ox]))
				}
			}
		}
		for iy := 0; iy < p.H; iy++ {
			row, hrow := dxp[iy*p.W:(iy+1)*p.W], hs[iy*ow:(iy+1)*ow]
			for ox, g := range hrow {
				seg := row[cl[ox]:ch[ox]]
				for j := range seg {
					seg[j] += g
				}
			}
		}
	})
}
