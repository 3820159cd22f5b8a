package benchmark

import (
	"sync/atomic"

	"github.com/rdarts/rdarts/internal/kernels"
)

// FLOPs are counted by instrumenting the backend: every GEMM and every
// convolution (forward, data gradient, filter gradient) adds two operations
// per multiply-add of its definition. Element-wise work, batch norm, pooling
// and the optimisers are not counted: they are memory-bound and small next
// to the convolutions, so the rate derived from this count is a slight
// underestimate of the arithmetic actually done. A kernel that skips
// multiplications by padding zeros still gets the full count (the count is
// of the operation as defined, not of one implementation's shortcuts), as
// FLOP counters for PyTorch do.

// ConvFLOPs is the operation count of one pass of a convolution: forward,
// data gradient and filter gradient all do N·K·OH·OW·(C/G)·KH·KW
// multiply-adds.
func ConvFLOPs(p kernels.Conv) int64 {
	return 2 * int64(p.N) * int64(p.K) * int64(p.OutH()) * int64(p.OutW()) *
		int64(p.C/p.Groups) * int64(p.KH) * int64(p.KW)
}

// GemmFLOPs is the operation count of an m×k by k×n product.
func GemmFLOPs(m, n, k int) int64 { return 2 * int64(m) * int64(n) * int64(k) }

// Counter is a kernels.Backend that counts the FLOPs of the calls it
// forwards. It is safe for concurrent use. Methods a newer Backend adds are
// forwarded by the embedding but not counted.
type Counter struct {
	kernels.Backend
	flops atomic.Int64
}

var _ kernels.Backend = (*Counter)(nil)

// NewCounter wraps k.
func NewCounter(k kernels.Backend) *Counter { return &Counter{Backend: k} }

// FLOPs returns the count so far.
func (c *Counter) FLOPs() int64 { return c.flops.Load() }

// Reset sets the count to zero.
func (c *Counter) Reset() { c.flops.Store(0) }

// Sgemm implements kernels.Backend.
func (c *Counter) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cc []float32, ldc int) {
	c.flops.Add(GemmFLOPs(m, n, k))
	c.Backend.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc)
}

// ConvForward implements kernels.Backend.
func (c *Counter) ConvForward(p kernels.Conv, x, w, y []float32) {
	c.flops.Add(ConvFLOPs(p))
	c.Backend.ConvForward(p, x, w, y)
}

// ConvBackwardData implements kernels.Backend.
func (c *Counter) ConvBackwardData(p kernels.Conv, dy, w, dx []float32, add bool) {
	c.flops.Add(ConvFLOPs(p))
	c.Backend.ConvBackwardData(p, dy, w, dx, add)
}

// ConvBackwardFilter implements kernels.Backend.
func (c *Counter) ConvBackwardFilter(p kernels.Conv, x, dy, dw []float32) {
	c.flops.Add(ConvFLOPs(p))
	c.Backend.ConvBackwardFilter(p, x, dy, dw)
}
