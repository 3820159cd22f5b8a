package fast

import (
	"github.com/rdarts/rdarts/internal/kernels"
)

// The pure-Go depthwise kernels: the implementation when cgo is off, and
// the baseline the C kernels (depthwise.c) are tested and timed against.
// Each plane is first copied into a zero-padded per-worker buffer; then
// every tap of every output is inside the buffer and the loops need no
// border cases at all. The inner loops run over contiguous output x and,
// for unit stride, fuse all taps of a 3- or 5-wide filter row (or the
// whole 3x3 filter) so each output is loaded and stored once per row.

// goDW runs the depthwise convs on the Go loops below.
var goDW = dwImpl{forward: goForward, backwardData: goBackwardData, backwardFilter: goBackwardFilter}

// plane is a zero-padded copy of an h×w plane inside a ph×pw buffer,
// placed at row top, column left.
type plane struct{ h, w, ph, pw, top, left int }

// fill copies src into buf's interior; buf's border must already be zero
// (it is cleared once per worker and only the interior is ever written).
func (g plane) fill(buf, src []float32) {
	for r := 0; r < g.h; r++ {
		copy(buf[(r+g.top)*g.pw+g.left:(r+g.top)*g.pw+g.left+g.w], src[r*g.w:(r+1)*g.w])
	}
}

// padX is the forward layout: the input padded by PH, PW on all sides.
func padX(p kernels.Conv) plane {
	return plane{h: p.H, w: p.W, ph: p.H + 2*p.PH, pw: p.W + 2*p.PW, top: p.PH, left: p.PW}
}

// goForward writes y for planes [lo, hi).
func goForward(p kernels.Conv, x, w, y []float32, lo, hi int) {
	oh, ow, hw, kk := p.OutH(), p.OutW(), p.H*p.W, p.KH*p.KW
	ohw, g := oh*ow, padX(p)
	buf := getScratch(g.ph * g.pw)
	clear(*buf)
	for pl := lo; pl < hi; pl++ {
		c := pl % p.C
		in, wp := x[pl*hw:(pl+1)*hw], g.w
		if p.PH != 0 || p.PW != 0 {
			g.fill(*buf, in)
			in, wp = *buf, g.pw
		}
		yp := y[pl*ohw : (pl+1)*ohw]
		clear(yp)
		corrPlane(yp, oh, ow, in, wp, w[c*kk:(c+1)*kk], p.KH, p.KW, p.SH, p.SW, p.DH, p.DW)
	}
	putScratch(buf)
}

// goBackwardData writes or adds the input gradient of planes [lo, hi).
// With unit stride it is the correlation of dy, padded by (K-1)·D-P, with
// the flipped filter: the forward's fused gather. Otherwise each output
// scatters w·dy into a padded buffer whose interior is then added to dx.
func goBackwardData(p kernels.Conv, dy, w, dx []float32, add bool, lo, hi int) {
	oh, ow, hw, kk := p.OutH(), p.OutW(), p.H*p.W, p.KH*p.KW
	ohw := oh * ow
	qh, qw := (p.KH-1)*p.DH-p.PH, (p.KW-1)*p.DW-p.PW
	gather := p.SH == 1 && p.SW == 1 && qh >= 0 && qw >= 0
	g := padX(p)
	if gather {
		g = plane{h: oh, w: ow, ph: p.H + (p.KH-1)*p.DH, pw: p.W + (p.KW-1)*p.DW, top: qh, left: qw}
	}
	buf := getScratch(g.ph*g.pw + kk)
	pad, flip := (*buf)[:g.ph*g.pw], (*buf)[g.ph*g.pw:]
	clear(pad)
	for pl := lo; pl < hi; pl++ {
		c := pl % p.C
		dyp, wc, dxp := dy[pl*ohw:(pl+1)*ohw], w[c*kk:(c+1)*kk], dx[pl*hw:(pl+1)*hw]
		if !add {
			clear(dxp) // one plane, while it is in cache
		}
		if gather {
			for i := range flip {
				flip[i] = wc[kk-1-i]
			}
			g.fill(pad, dyp)
			corrPlane(dxp, p.H, p.W, pad, g.pw, flip, p.KH, p.KW, 1, 1, p.DH, p.DW)
			continue
		}
		clear(pad)
		scatterPlane(pad, g.pw, dyp, oh, ow, wc, p.KH, p.KW, p.SH, p.SW, p.DH, p.DW)
		for r := 0; r < p.H; r++ {
			axpy1(dxp[r*p.W:(r+1)*p.W], pad[(r+p.PH)*g.pw+p.PW:])
		}
	}
	putScratch(buf)
}

// goBackwardFilter adds the filter gradient of channels [lo, hi), each
// channel's images summed in order.
func goBackwardFilter(p kernels.Conv, x, dy, dw []float32, lo, hi int) {
	oh, ow, hw, kk := p.OutH(), p.OutW(), p.H*p.W, p.KH*p.KW
	ohw, g := oh*ow, padX(p)
	buf := getScratch(g.ph*g.pw + kk)
	pad, acc := (*buf)[:g.ph*g.pw], (*buf)[g.ph*g.pw:]
	clear(pad)
	for c := lo; c < hi; c++ {
		clear(acc)
		for n := 0; n < p.N; n++ {
			pl := n*p.C + c
			in, wp := x[pl*hw:(pl+1)*hw], g.w
			if p.PH != 0 || p.PW != 0 {
				g.fill(pad, in)
				in, wp = pad, g.pw
			}
			dotsPlane(acc, dy[pl*ohw:(pl+1)*ohw], oh, ow, in, wp, p.KH, p.KW, p.SH, p.SW, p.DH, p.DW)
		}
		axpy1(dw[c*kk:(c+1)*kk], acc)
	}
	putScratch(buf)
}

// corrPlane adds out[oy][ox] += Σ taps[ky][kx]·in[(oy·sh+ky·dh)·wp + ox·sw + kx·dw]
// for an oh×ow out; in must hold every index touched (it is padded).
func corrPlane(out []float32, oh, ow int, in []float32, wp int, taps []float32, kh, kw, sh, sw, dh, dw int) {
	for oy := 0; oy < oh; oy++ {
		orow := out[oy*ow : oy*ow+ow]
		if sw == 1 && kh == 3 && kw == 3 {
			r := (oy * sh) * wp
			corr3x3(orow, in[r:], in[r+dh*wp:], in[r+2*dh*wp:], dw, (*[9]float32)(taps))
			continue
		}
		for ky := 0; ky < kh; ky++ {
			irow := in[(oy*sh+ky*dh)*wp:]
			t := taps[ky*kw : ky*kw+kw]
			switch {
			case sw == 1 && kw == 3:
				corr3(orow, irow, dw, t[0], t[1], t[2])
			case sw == 1 && kw == 5:
				corr5(orow, irow, dw, t[0], t[1], t[2], t[3], t[4])
			case sw == 1:
				for kx, wv := range t {
					axpy(orow, irow[kx*dw:kx*dw+ow], wv)
				}
			default:
				for kx, wv := range t {
					base := irow[kx*dw:]
					for ox := range orow {
						orow[ox] += wv * base[ox*sw]
					}
				}
			}
		}
	}
}

// scatterPlane adds out[(oy·sh+ky·dh)·wp + ox·sw + kx·dw] += taps[ky][kx]·g[oy][ox],
// the transpose of corrPlane, for strided convs.
func scatterPlane(out []float32, wp int, g []float32, oh, ow int, taps []float32, kh, kw, sh, sw, dh, dw int) {
	for oy := 0; oy < oh; oy++ {
		grow := g[oy*ow : oy*ow+ow]
		for ky := 0; ky < kh; ky++ {
			orow := out[(oy*sh+ky*dh)*wp:]
			for kx, wv := range taps[ky*kw : ky*kw+kw] {
				base := orow[kx*dw:]
				if sw == 1 {
					axpy(base[:ow], grow, wv)
					continue
				}
				for ox, gv := range grow {
					base[ox*sw] += wv * gv
				}
			}
		}
	}
}

// dotsPlane adds acc[ky][kx] += Σ g[oy][ox]·in[(oy·sh+ky·dh)·wp + ox·sw + kx·dw]:
// the filter gradient of one plane.
func dotsPlane(acc, g []float32, oh, ow int, in []float32, wp int, kh, kw, sh, sw, dh, dw int) {
	for oy := 0; oy < oh; oy++ {
		grow := g[oy*ow : oy*ow+ow]
		for ky := 0; ky < kh; ky++ {
			irow := in[(oy*sh+ky*dh)*wp:]
			a := acc[ky*kw : ky*kw+kw]
			switch {
			case sw == 1 && kw == 3:
				s0, s1, s2 := dots3(grow, irow, dw)
				a[0] += s0
				a[1] += s1
				a[2] += s2
			case sw == 1 && kw == 5:
				s0, s1, s2, s3, s4 := dots5(grow, irow, dw)
				a[0] += s0
				a[1] += s1
				a[2] += s2
				a[3] += s3
				a[4] += s4
			default:
				for kx := range a {
					base := irow[kx*dw:]
					var s float32
					for ox, gv := range grow {
						s += gv * base[ox*sw]
					}
					a[kx] += s
				}
			}
		}
	}
}

// axpy is y += a·x.
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// corr3 is out[i] += w0·in[i] + w1·in[i+d] + w2·in[i+2d]: one load and
// store of out per three taps.
func corr3(out, in []float32, d int, w0, w1, w2 float32) {
	n := len(out)
	a, b, c := in[:n], in[d:d+n], in[2*d:2*d+n]
	for i := range out {
		out[i] += w0*a[i] + w1*b[i] + w2*c[i]
	}
}

// corr5 is corr3 for five taps.
func corr5(out, in []float32, d int, w0, w1, w2, w3, w4 float32) {
	n := len(out)
	a, b, c, e, f := in[:n], in[d:d+n], in[2*d:2*d+n], in[3*d:3*d+n], in[4*d:4*d+n]
	for i := range out {
		out[i] += w0*a[i] + w1*b[i] + w2*c[i] + w3*e[i] + w4*f[i]
	}
}

// corr3x3 is corr3 over three input rows at once: nine taps per load and
// store of out.
func corr3x3(out, r0, r1, r2 []float32, d int, w *[9]float32) {
	n := len(out)
	a0, a1, a2 := r0[:n], r0[d:d+n], r0[2*d:2*d+n]
	b0, b1, b2 := r1[:n], r1[d:d+n], r1[2*d:2*d+n]
	c0, c1, c2 := r2[:n], r2[d:d+n], r2[2*d:2*d+n]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	for i := range out {
		out[i] += (w0*a0[i] + w1*a1[i] + w2*a2[i]) + (w3*b0[i] + w4*b1[i] + w5*b2[i]) + (w6*c0[i] + w7*c1[i] + w8*c2[i])
	}
}

// dots3 returns the dot products of g with in, in[d:], in[2d:]. Two
// accumulators per tap break the add latency chain.
func dots3(g, in []float32, d int) (s0, s1, s2 float32) {
	n := len(g)
	a, b, c := in[:n], in[d:d+n], in[2*d:2*d+n]
	var t0, t1, t2 float32
	i := 0
	for ; i+1 < n; i += 2 {
		g0, g1 := g[i], g[i+1]
		s0 += g0 * a[i]
		s1 += g0 * b[i]
		s2 += g0 * c[i]
		t0 += g1 * a[i+1]
		t1 += g1 * b[i+1]
		t2 += g1 * c[i+1]
	}
	if i < n {
		s0 += g[i] * a[i]
		s1 += g[i] * b[i]
		s2 += g[i] * c[i]
	}
	return s0 + t0, s1 + t1, s2 + t2
}

// dots5 is dots3 for five taps.
func dots5(g, in []float32, d int) (s0, s1, s2, s3, s4 float32) {
	n := len(g)
	a, b, c, e, f := in[:n], in[d:d+n], in[2*d:2*d+n], in[3*d:3*d+n], in[4*d:4*d+n]
	var t0, t1, t2, t3, t4 float32
	i := 0
	for ; i+1 < n; i += 2 {
		g0, g1 := g[i], g[i+1]
		s0 += g0 * a[i]
		s1 += g0 * b[i]
		s2 += g0 * c[i]
		s3 += g0 * e[i]
		s4 += g0 * f[i]
		t0 += g1 * a[i+1]
		t1 += g1 * b[i+1]
		t2 += g1 * c[i+1]
		t3 += g1 * e[i+1]
		t4 += g1 * f[i+1]
	}
	if i < n {
		s0 += g[i] * a[i]
		s1 += g[i] * b[i]
		s2 += g[i] * c[i]
		s3 += g[i] * e[i]
		s4 += g[i] * f[i]
	}
	return s0 + t0, s1 + t1, s2 + t2, s3 + t3, s4 + t4
}
