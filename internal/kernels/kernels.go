// Package kernels is the small interface between rdarts' autodiff ops and
// the loops that do the arithmetic: only what the ops call. Two
// implementations exist: purego (obviously correct, the reference in tests,
// builds without cgo) and fast (OpenBLAS GEMM plus parallel Go kernels).
//
// All arrays are contiguous float32, row-major, NCHW. Kernels never modify
// their inputs. Forward kernels overwrite their output; backward kernels
// accumulate (+=) into the gradient they are given, as a tape needs.
// Shapes are checked before any work by the Check methods, which panic
// with a "kernels:" message: a wrong shape is a programmer error.
package kernels

import "fmt"

// Backend computes the heavy ops.
type Backend interface {
	// Name identifies the backend in benchmarks and logs.
	Name() string
	// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices,
	// op(A) m×k, op(B) k×n, C m×n with leading dimensions lda, ldb, ldc.
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// ConvForward writes y = conv(x, w).
	ConvForward(p Conv, x, w, y []float32)
	// ConvBackwardData adds the gradient with respect to x to dx, or with
	// add false writes it (dx's old contents are ignored): the autodiff tape
	// hands over fresh buffers this way instead of zeroing them first.
	ConvBackwardData(p Conv, dy, w, dx []float32, add bool)
	// ConvBackwardFilter adds the gradient with respect to w to dw.
	ConvBackwardFilter(p Conv, x, dy, dw []float32)
	// MaxPoolForward writes y and, per output, the flat index inside its
	// input plane of the winning pixel (padding never wins).
	MaxPoolForward(p Pool, x, y []float32, arg []int32)
	// MaxPoolBackward adds dy to dx at the recorded winners.
	MaxPoolBackward(p Pool, dy []float32, arg []int32, dx []float32)
	// AvgPoolForward averages over the real pixels of each window
	// (count_include_pad=false).
	AvgPoolForward(p Pool, x, y []float32)
	// AvgPoolBackward adds the average pool's input gradient to dx.
	AvgPoolBackward(p Pool, dy, dx []float32)
}

// Conv describes a 2-D convolution (cross-correlation, no bias) of an
// N×C×H×W input with a K×(C/Groups)×KH×KW filter.
type Conv struct {
	N, C, H, W int
	K          int
	KH, KW     int
	SH, SW     int
	PH, PW     int
	DH, DW     int
	Groups     int
}

// OutH is the output height.
func (p Conv) OutH() int { return (p.H+2*p.PH-p.DH*(p.KH-1)-1)/p.SH + 1 }

// OutW is the output width.
func (p Conv) OutW() int { return (p.W+2*p.PW-p.DW*(p.KW-1)-1)/p.SW + 1 }

// XLen, WLen and YLen are the sizes of input, filter and output.
func (p Conv) XLen() int { return p.N * p.C * p.H * p.W }

// WLen is the filter size.
func (p Conv) WLen() int { return p.K * (p.C / p.Groups) * p.KH * p.KW }

// YLen is the output size.
func (p Conv) YLen() int { return p.N * p.K * p.OutH() * p.OutW() }

// Check panics if the description is inconsistent or the slices are too short.
func (p Conv) Check(x, w, y []float32) {
	switch {
	case p.N <= 0 || p.C <= 0 || p.H <= 0 || p.W <= 0 || p.K <= 0 || p.KH <= 0 || p.KW <= 0:
		panic(fmt.Sprintf("kernels: conv: non-positive size in %+v", p))
	case p.SH <= 0 || p.SW <= 0 || p.DH <= 0 || p.DW <= 0 || p.PH < 0 || p.PW < 0:
		panic(fmt.Sprintf("kernels: conv: bad stride/dilation/padding in %+v", p))
	case p.Groups <= 0 || p.C%p.Groups != 0 || p.K%p.Groups != 0:
		panic(fmt.Sprintf("kernels: conv: groups %d must divide C=%d and K=%d", p.Groups, p.C, p.K))
	case p.OutH() <= 0 || p.OutW() <= 0:
		panic(fmt.Sprintf("kernels: conv: empty output for %+v", p))
	case len(x) < p.XLen() || len(w) < p.WLen() || len(y) < p.YLen():
		panic(fmt.Sprintf("kernels: conv: buffers x %d w %d y %d too short for %+v", len(x), len(w), len(y), p))
	}
}

// Pool describes a square K×K pooling with stride S and padding P over an
// N×C×H×W input.
type Pool struct {
	N, C, H, W int
	K, S, P    int
}

// OutH is the output height.
func (p Pool) OutH() int { return (p.H+2*p.P-p.K)/p.S + 1 }

// OutW is the output width.
func (p Pool) OutW() int { return (p.W+2*p.P-p.K)/p.S + 1 }

// Check panics if the description is inconsistent or the slices are too short.
func (p Pool) Check(x, y []float32) {
	switch {
	case p.N <= 0 || p.C <= 0 || p.H <= 0 || p.W <= 0 || p.K <= 0 || p.S <= 0 || p.P < 0 || 2*p.P > p.K:
		panic(fmt.Sprintf("kernels: pool: bad description %+v", p))
	case p.OutH() <= 0 || p.OutW() <= 0:
		panic(fmt.Sprintf("kernels: pool: empty output for %+v", p))
	case len(x) < p.N*p.C*p.H*p.W || len(y) < p.N*p.C*p.OutH()*p.OutW():
		panic(fmt.Sprintf("kernels: pool: buffers x %d y %d too short for %+v", len(x), len(y), p))
	}
}
