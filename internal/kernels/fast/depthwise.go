package fast

import (
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/parallel"
)

// Depthwise convs (Groups == C == K) do too little arithmetic per byte for
// im2col+GEMM to pay, so they are direct loops over one plane at a time:
// vectorised C (depthwise.c) when cgo is on, Go loops (depthwise_go.go)
// otherwise. Go splits the planes (or, for the filter gradient, the
// channels) over workers and hands each worker's whole range to one call,
// so a cgo call costs ~100 ns per worker, not per row or plane.

// dwImpl is one implementation of the per-range work of the depthwise convs.
type dwImpl struct {
	// forward writes y for planes (n·C + c) in [lo, hi).
	forward func(p kernels.Conv, x, w, y []float32, lo, hi int)
	// backwardData writes (add false) or adds the input gradient of planes
	// in [lo, hi).
	backwardData func(p kernels.Conv, dy, w, dx []float32, add bool, lo, hi int)
	// backwardFilter adds the filter gradient of channels in [lo, hi),
	// summing each channel's images in order.
	backwardFilter func(p kernels.Conv, x, dy, dw []float32, lo, hi int)
}

// Forward writes y for every (n, c) plane, planes split over workers.
func (d dwImpl) Forward(p kernels.Conv, x, w, y []float32) {
	parallel.For(p.N*p.C, grain(2*p.OutH()*p.OutW()*p.KH*p.KW), func(_, lo, hi int) {
		d.forward(p, x, w, y, lo, hi)
	})
}

// BackwardData writes or adds the input gradient, planes split over workers.
func (d dwImpl) BackwardData(p kernels.Conv, dy, w, dx []float32, add bool) {
	parallel.For(p.N*p.C, grain(2*p.OutH()*p.OutW()*p.KH*p.KW), func(_, lo, hi int) {
		d.backwardData(p, dy, w, dx, add, lo, hi)
	})
}

// BackwardFilter adds the filter gradient. Workers own whole channels and
// sum each channel's images in order, so the result does not depend on
// the worker count and needs no partial buffers.
func (d dwImpl) BackwardFilter(p kernels.Conv, x, dy, dw []float32) {
	parallel.For(p.C, grain(2*p.N*p.OutH()*p.OutW()*p.KH*p.KW), func(_, lo, hi int) {
		d.backwardFilter(p, x, dy, dw, lo, hi)
	})
}

func dwForward(p kernels.Conv, x, w, y []float32) { dwDefault.Forward(p, x, w, y) }

func dwBackwardData(p kernels.Conv, dy, w, dx []float32, add bool) {
	dwDefault.BackwardData(p, dy, w, dx, add)
}

func dwBackwardFilter(p kernels.Conv, x, dy, dw []float32) { dwDefault.BackwardFilter(p, x, dy, dw) }
