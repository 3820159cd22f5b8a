package fast

import (
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/parallel"
)

// Convs take one of three paths:
//   - depthwise (Groups == C == K): direct Go loops (depthwise.go);
//   - 1x1, stride 1, no padding: the image already is the GEMM operand,
//     so each image is one GEMM with no im2col;
//   - everything else: im2col (or col2im) per image and group, then GEMM.

// isDepthwise reports whether each output channel reads exactly its own
// input channel.
func isDepthwise(p kernels.Conv) bool { return p.Groups == p.C && p.K == p.C }

// isPointwise reports whether the im2col matrix of each image is the image.
func isPointwise(p kernels.Conv) bool {
	return p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && p.PH == 0 && p.PW == 0
}

// gemmConv holds the per-group GEMM dimensions of an im2col conv.
type gemmConv struct {
	p      kernels.Conv
	cg, kg int // input and output channels per group
	rows   int // im2col rows per group: cg·KH·KW
	ohw    int // output pixels per image
	direct bool
}

func newGemmConv(p kernels.Conv) gemmConv {
	g := gemmConv{p: p, cg: p.C / p.Groups, kg: p.K / p.Groups, ohw: p.OutH() * p.OutW(), direct: isPointwise(p)}
	g.rows = g.cg * p.KH * p.KW
	return g
}

// colLen is the scratch one worker needs (none on the direct path).
func (g gemmConv) colLen() int {
	if g.direct {
		return 0
	}
	return g.rows * g.ohw
}

// forImages runs body over the batch: one goroutine per worker with its own
// col scratch and single-threaded GEMMs, or, for a batch too small to
// split, inline with GEMMs that split themselves.
func (g gemmConv) forImages(body func(n int, col []float32, par bool)) {
	p := g.p
	flopsPerImage := 2 * p.K * g.ohw * g.rows
	if parallel.Chunks(p.N, grain(flopsPerImage)) == 1 || p.N < parallel.Workers() {
		s := getScratch(g.colLen())
		for n := 0; n < p.N; n++ {
			body(n, *s, true)
		}
		putScratch(s)
		return
	}
	parallel.For(p.N, grain(flopsPerImage), func(_, lo, hi int) {
		s := getScratch(g.colLen())
		for n := lo; n < hi; n++ {
			body(n, *s, false)
		}
		putScratch(s)
	})
}

// ConvForward implements kernels.Backend.
func (Backend) ConvForward(p kernels.Conv, x, w, y []float32) {
	p.Check(x, w, y)
	if isDepthwise(p) {
		dwForward(p, x, w, y)
		return
	}
	g := newGemmConv(p)
	xImg, yImg := p.C*p.H*p.W, p.K*g.ohw
	g.forImages(func(n int, col []float32, par bool) {
		for gr := 0; gr < p.Groups; gr++ {
			xs := x[n*xImg+gr*g.cg*p.H*p.W:]
			ys := y[n*yImg+gr*g.kg*g.ohw:]
			ws := w[gr*g.kg*g.rows:]
			if !g.direct {
				im2col(p, xs, col)
				xs = col
			}
			// Y (kg×ohw) = W (kg×rows) · col (rows×ohw)
			gemm(par, false, false, g.kg, g.ohw, g.rows, 1, ws, g.rows, xs, g.ohw, 0, ys, g.ohw)
		}
	})
}

// ConvBackwardData implements kernels.Backend.
func (Backend) ConvBackwardData(p kernels.Conv, dy, w, dx []float32, add bool) {
	p.Check(dx, w, dy)
	if isDepthwise(p) {
		dwBackwardData(p, dy, w, dx, add)
		return
	}
	g := newGemmConv(p)
	xImg, yImg := p.C*p.H*p.W, p.K*g.ohw
	g.forImages(func(n int, col []float32, par bool) {
		for gr := 0; gr < p.Groups; gr++ {
			dxs := dx[n*xImg+gr*g.cg*p.H*p.W:]
			dys := dy[n*yImg+gr*g.kg*g.ohw:]
			ws := w[gr*g.kg*g.rows:]
			beta := float32(0)
			if add {
				beta = 1
			}
			if g.direct {
				// dX (cg×HW) (+)= Wᵀ (cg×kg) · dY (kg×HW)
				gemm(par, true, false, g.rows, g.ohw, g.kg, 1, ws, g.rows, dys, g.ohw, beta, dxs, g.ohw)
				continue
			}
			if !add {
				clear(dxs[:g.cg*p.H*p.W]) // this image's group, while it is in cache
			}
			gemm(par, true, false, g.rows, g.ohw, g.kg, 1, ws, g.rows, dys, g.ohw, 0, col, g.ohw)
			col2im(p, col, dxs)
		}
	})
}

// maxFilterBlocks bounds the per-block partial sums of the backward
// filter; the batch is cut into min(N, maxFilterBlocks) fixed blocks.
const maxFilterBlocks = 8

// ConvBackwardFilter implements kernels.Backend. Images are summed in
// fixed blocks (independent of the worker count), each block into its own
// partial, and the partials are added to dw in block order, so the result
// is bit-identical run to run.
func (Backend) ConvBackwardFilter(p kernels.Conv, x, dy, dw []float32) {
	p.Check(x, dw, dy)
	if isDepthwise(p) {
		dwBackwardFilter(p, x, dy, dw)
		return
	}
	g := newGemmConv(p)
	xImg, yImg, wl := p.C*p.H*p.W, p.K*g.ohw, p.WLen()
	// accumulate adds image n's gradient into acc (beta 1) or overwrites
	// it (beta 0).
	accumulate := func(n int, col, acc []float32, beta float32, par bool) {
		for gr := 0; gr < p.Groups; gr++ {
			xs := x[n*xImg+gr*g.cg*p.H*p.W:]
			dys := dy[n*yImg+gr*g.kg*g.ohw:]
			if !g.direct {
				im2col(p, xs, col)
				xs = col
			}
			// dW (kg×rows) += dY (kg×ohw) · colᵀ (ohw×rows)
			gemm(par, false, true, g.kg, g.rows, g.ohw, 1, dys, g.ohw, xs, g.ohw, beta, acc[gr*g.kg*g.rows:], g.rows)
		}
	}
	blocks := min(p.N, maxFilterBlocks)
	if blocks == 1 {
		s := getScratch(g.colLen())
		accumulate(0, *s, dw, 1, true)
		putScratch(s)
		return
	}
	parts := getScratch(blocks * wl)
	flopsPerBlock := 2 * p.K * g.ohw * g.rows * p.N / blocks
	parallel.For(blocks, grain(flopsPerBlock), func(_, lo, hi int) {
		s := getScratch(g.colLen())
		for b := lo; b < hi; b++ {
			part := (*parts)[b*wl : (b+1)*wl]
			for n, beta := b*p.N/blocks, float32(0); n < (b+1)*p.N/blocks; n, beta = n+1, 1 {
				accumulate(n, *s, part, beta, false)
			}
		}
		putScratch(s)
	})
	dwv := dw[:wl]
	for b := 0; b < blocks; b++ {
		part := (*parts)[b*wl : (b+1)*wl]
		for i := range dwv {
			dwv[i] += part[i]
		}
	}
	putScratch(parts)
}

// im2col writes the (cg·KH·KW)×(OH·OW) matrix of one image's group whose
// first channel starts at x[0]; out-of-image taps are zero.
func im2col(p kernels.Conv, x, col []float32) {
	oh, ow, cg := p.OutH(), p.OutW(), p.C/p.Groups
	r := 0
	for c := 0; c < cg; c++ {
		plane := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for ky := 0; ky < p.KH; ky++ {
			for kx := 0; kx < p.KW; kx++ {
				dst := col[r*oh*ow : (r+1)*oh*ow]
				r++
				off := kx*p.DW - p.PW
				lo, hi := validRange(ow, p.SW, off, p.W)
				for oy := 0; oy < oh; oy++ {
					d := dst[oy*ow : oy*ow+ow]
					iy := oy*p.SH - p.PH + ky*p.DH
					if iy < 0 || iy >= p.H || lo >= hi {
						clear(d)
						continue
					}
					src := plane[iy*p.W : iy*p.W+p.W]
					clear(d[:lo])
					clear(d[hi:])
					if p.SW == 1 {
						copy(d[lo:hi], src[lo+off:hi+off])
					} else {
						for ox := lo; ox < hi; ox++ {
							d[ox] = src[ox*p.SW+off]
						}
					}
				}
			}
		}
	}
}

// col2im adds the im2col-shaped gradient col back into one image's group
// whose first channel starts at dx[0].
func col2im(p kernels.Conv, col, dx []float32) {
	oh, ow, cg := p.OutH(), p.OutW(), p.C/p.Groups
	r := 0
	for c := 0; c < cg; c++ {
		plane := dx[c*p.H*p.W : (c+1)*p.H*p.W]
		for ky := 0; ky < p.KH; ky++ {
			for kx := 0; kx < p.KW; kx++ {
				src := col[r*oh*ow : (r+1)*oh*ow]
				r++
				off := kx*p.DW - p.PW
				lo, hi := validRange(ow, p.SW, off, p.W)
				if lo >= hi {
					continue
				}
				for oy := 0; oy < oh; oy++ {
					iy := oy*p.SH - p.PH + ky*p.DH
					if iy < 0 || iy >= p.H {
						continue
					}
					s := src[oy*ow : oy*ow+ow]
					d := plane[iy*p.W : iy*p.W+p.W]
					if p.SW == 1 {
						axpy1(d[lo+off:hi+off], s[lo:hi])
					} else {
						for ox := lo; ox < hi; ox++ {
							d[ox*p.SW+off] += s[ox]
						}
					}
				}
			}
		}
	}
}

// axpy1 is dst += src.
func axpy1(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// validRange is the range [lo,hi) of outputs o < n whose input index
// o·stride+off lies in [0,size).
func validRange(n, stride, off, size int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if size-1-off < 0 {
		return lo, lo
	}
	hi = min(n, (size-1-off)/stride+1)
	return lo, max(lo, hi)
}
