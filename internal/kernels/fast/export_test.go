package fast

import (
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/kernels/purego"
)

// GoDepthwise is Backend with its depthwise convs and pools on the pure-Go
// loops (the !cgo fallback), so tests and benchmarks reach them with cgo
// on.
type GoDepthwise struct{ Backend }

// MaxPoolForward implements kernels.Backend.
func (b GoDepthwise) MaxPoolForward(p kernels.Pool, x, y []float32, arg []int32) {
	p.Check(x, y)
	purego.CheckArg(p, arg)
	b.poolPlanes(p, func(lo, hi int) { goPool.maxForward(p, x, y, arg, lo, hi) })
}

// AvgPoolForward implements kernels.Backend.
func (b GoDepthwise) AvgPoolForward(p kernels.Pool, x, y []float32) {
	p.Check(x, y)
	b.poolPlanes(p, func(lo, hi int) { goPool.avgForward(p, x, y, lo, hi) })
}

// AvgPoolBackward implements kernels.Backend.
func (b GoDepthwise) AvgPoolBackward(p kernels.Pool, dy, dx []float32) {
	p.Check(dx, dy)
	b.poolPlanes(p, func(lo, hi int) { goPool.avgBackward(p, dy, dx, lo, hi) })
}

// Name implements kernels.Backend.
func (GoDepthwise) Name() string { return "fast-godw" }

// ConvForward implements kernels.Backend.
func (b GoDepthwise) ConvForward(p kernels.Conv, x, w, y []float32) {
	if !isDepthwise(p) {
		b.Backend.ConvForward(p, x, w, y)
		return
	}
	p.Check(x, w, y)
	goDW.Forward(p, x, w, y)
}

// ConvBackwardData implements kernels.Backend.
func (b GoDepthwise) ConvBackwardData(p kernels.Conv, dy, w, dx []float32, add bool) {
	if !isDepthwise(p) {
		b.Backend.ConvBackwardData(p, dy, w, dx, add)
		return
	}
	p.Check(dx, w, dy)
	goDW.BackwardData(p, dy, w, dx, add)
}

// ConvBackwardFilter implements kernels.Backend.
func (b GoDepthwise) ConvBackwardFilter(p kernels.Conv, x, dy, dw []float32) {
	if !isDepthwise(p) {
		b.Backend.ConvBackwardFilter(p, x, dy, dw)
		return
	}
	p.Check(x, dw, dy)
	goDW.BackwardFilter(p, x, dy, dw)
}

// SetDWFlat turns the C depthwise kernels' flattened loops for narrow
// planes on or off.
var SetDWFlat = setDWFlat
