package vec

import "math"

// The pure-Go kernels. They back the package when cgo is off, and are
// compiled in every build so that tests and benchmarks can hold the C
// kernels against them. They take checked arguments (see vec.go; empty
// slices and layouts are fine) and
// follow the C kernels operation for operation: same lanes, same order,
// and every product converted to float32 so the compiler cannot fuse it
// into a multiply-add.

// The element-wise selections work on the bits, so that the compiler
// emits conditional moves: with branches, random signs (as ReLU inputs
// have) cost a misprediction every other value, 8× slower.

func goReLU(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		b := math.Float32bits(v)
		if v <= 0 { // false for NaN, which passes through
			b = 0
		}
		dst[i] = math.Float32frombits(b)
	}
}

func goReLUGrad(dst, y, dy []float32, add bool) {
	dst, y = dst[:len(dy)], y[:len(dy)]
	for i, g := range dy {
		b := math.Float32bits(g)
		if math.Float32bits(y[i])<<1 == 0 { // y is ±0
			b = 0
		}
		if add {
			dst[i] = dst[i] + math.Float32frombits(b)
		} else {
			dst[i] = math.Float32frombits(b)
		}
	}
}

func goReLUMaskGrad(dst, x, dy []float32, add bool) {
	dst, x = dst[:len(dy)], x[:len(dy)]
	for i, g := range dy {
		b := math.Float32bits(g)
		if !(x[i] > 0) {
			b = 0
		}
		if add {
			dst[i] = dst[i] + math.Float32frombits(b)
		} else {
			dst[i] = math.Float32frombits(b)
		}
	}
}

func goAxpy(dst []float32, a float32, src []float32, add bool) {
	dst = dst[:len(src)]
	if add {
		for i, v := range src {
			dst[i] += float32(a * v)
		}
		return
	}
	for i, v := range src {
		dst[i] = a * v
	}
}

func goDot(a, b []float32) float64 {
	var d float64
	for lo := 0; lo < len(a); lo += block {
		hi := min(lo+block, len(a))
		d += goDotBlock(a[lo:hi], b[lo:hi])
	}
	return d
}

// goDotBlock sums a·b over at most one block in float32 lanes.
func goDotBlock(a, b []float32) float64 {
	var dl [lanes]float32
	b = b[:len(a)]
	i := 0
	for ; i+lanes <= len(a); i += lanes {
		ac, bc := (*[lanes]float32)(a[i:]), (*[lanes]float32)(b[i:])
		for j := range dl {
			dl[j] += float32(ac[j] * bc[j])
		}
	}
	for j := range a[i:] {
		dl[j] += float32(a[i+j] * b[i+j])
	}
	var d float64
	for _, v := range dl {
		d += float64(v)
	}
	return d
}

func goDotAxpy(dst []float32, a float32, src, x []float32, add bool, acc float64) float64 {
	for lo := 0; lo < len(src); lo += block {
		hi := min(lo+block, len(src))
		acc += goDotBlock(src[lo:hi], x[lo:hi])
		if dst != nil {
			goAxpy(dst[lo:hi], a, src[lo:hi], add)
		}
	}
	return acc
}

func goSumSq(x []float32, n, hw, stride int, k float32) (s, q float64) {
	if hw == 0 {
		return 0, 0
	}
	for p := 0; p < n; p++ {
		pl := x[p*stride : p*stride+hw]
		for lo := 0; lo < hw; lo += block {
			bs, bq := goSumSqBlock(pl[lo:min(lo+block, hw)], k)
			s += bs
			q += bq
		}
	}
	return s, q
}

// goSumSqBlock sums x−k and (x−k)² over at most one block in float32 lanes.
func goSumSqBlock(x []float32, k float32) (s, q float64) {
	var sl, ql [lanes]float32
	i := 0
	for ; i+lanes <= len(x); i += lanes {
		c := (*[lanes]float32)(x[i:])
		for j := range sl {
			a := c[j] - k
			sl[j] += a
			ql[j] += float32(a * a)
		}
	}
	for j, v := range x[i:] {
		a := v - k
		sl[j] += a
		ql[j] += float32(a * a)
	}
	for j := range sl {
		s += float64(sl[j])
		q += float64(ql[j])
	}
	return s, q
}

func goDots(dy, x []float32, n, hw, stride int) (s, d float64) {
	if hw == 0 {
		return 0, 0
	}
	for p := 0; p < n; p++ {
		o := p * stride
		for lo := 0; lo < hw; lo += block {
			hi := min(lo+block, hw)
			bs, bd := goDotsBlock(dy[o+lo:o+hi], x[o+lo:o+hi])
			s += bs
			d += bd
		}
	}
	return s, d
}

// goDotsBlock sums dy and dy·x over at most one block in float32 lanes.
func goDotsBlock(dy, x []float32) (s, d float64) {
	var sl, dl [lanes]float32
	x = x[:len(dy)]
	i := 0
	for ; i+lanes <= len(dy); i += lanes {
		gc, xc := (*[lanes]float32)(dy[i:]), (*[lanes]float32)(x[i:])
		for j := range sl {
			sl[j] += gc[j]
			dl[j] += float32(gc[j] * xc[j])
		}
	}
	for j := range dy[i:] {
		sl[j] += dy[i+j]
		dl[j] += float32(dy[i+j] * x[i+j])
	}
	for j := range sl {
		s += float64(sl[j])
		d += float64(dl[j])
	}
	return s, d
}

// goDotsReLU is goDots of dy masked as goReLUGrad masks it by y, one
// block at a time through a copy, so the sums are goDots' own.
func goDotsReLU(dy, y, x []float32, n, hw, stride int) (s, d float64) {
	if hw == 0 {
		return 0, 0
	}
	var g [block]float32
	for p := 0; p < n; p++ {
		o := p * stride
		for lo := 0; lo < hw; lo += block {
			hi := min(lo+block, hw)
			goReLUGrad(g[:hi-lo], y[o+lo:o+hi], dy[o+lo:o+hi], false)
			bs, bd := goDotsBlock(g[:hi-lo], x[o+lo:o+hi])
			s += bs
			d += bd
		}
	}
	return s, d
}

func goAffine(dst, x []float32, n, hw, stride int, scale, shift float32) {
	if hw == 0 {
		return
	}
	for p := 0; p < n; p++ {
		o := p * stride
		d, xs := dst[o:o+hw], x[o:o+hw]
		for i, v := range xs {
			d[i] = float32(v*scale) + shift
		}
	}
}

func goAffineReLU(dst, x []float32, n, hw, stride int, scale, shift float32) {
	goAffine(dst, x, n, hw, stride, scale, shift)
	for p := 0; p < n && hw > 0; p++ {
		d := dst[p*stride : p*stride+hw]
		goReLU(d, d)
	}
}

func goAffineGrad(dst, dy, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	if hw == 0 {
		return
	}
	for pl := 0; pl < n; pl++ {
		o := pl * stride
		d, g, xs := dst[o:o+hw], dy[o:o+hw], x[o:o+hw]
		if add {
			for i, v := range g {
				d[i] += float32(k*v) + float32(p*xs[i]) + q
			}
			continue
		}
		for i, v := range g {
			d[i] = float32(k*v) + float32(p*xs[i]) + q
		}
	}
}

func goAffineGradReLU(dst, dy, y, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	if hw == 0 {
		return
	}
	var g [block]float32
	for pl := 0; pl < n; pl++ {
		o := pl * stride
		for lo := 0; lo < hw; lo += block {
			hi := min(lo+block, hw)
			goReLUGrad(g[:hi-lo], y[o+lo:o+hi], dy[o+lo:o+hi], false)
			d, xs := dst[o+lo:o+hi], x[o+lo:o+hi]
			for i, v := range g[:hi-lo] {
				r := float32(k*v) + float32(p*xs[i]) + q
				if add {
					r = d[i] + r
				}
				d[i] = r
			}
		}
	}
}

func goWeightedSum(dst []float32, w []float32, xs [][]float32) {
	weightedSumBy(goAxpy, dst, w, xs)
}

// wsTile is the length of the pieces of dst that weightedSumBy finishes
// one at a time (64 KiB, well inside L2), so dst is not streamed from
// memory once per input.
const wsTile = 16 << 10

// weightedSumBy computes WeightedSum on checked arguments with the given
// axpy, tile by tile.
func weightedSumBy(axpy func([]float32, float32, []float32, bool), dst []float32, w []float32, xs [][]float32) {
	for lo := 0; lo < len(dst); lo += wsTile {
		hi := min(lo+wsTile, len(dst))
		add := false
		for i, x := range xs {
			if x != nil {
				axpy(dst[lo:hi], w[i], x[lo:hi], add)
				add = true
			}
		}
	}
}
