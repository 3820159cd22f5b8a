// Package fast is the default kernels backend: GEMM through OpenBLAS (cgo;
// a pure-Go GEMM when cgo is off) and hand-written Go loops for the
// depthwise convolutions and pools, spread over parallel.Workers()
// goroutines.
//
// Threading: OpenBLAS is pinned to one thread and Go does all the
// splitting, so OpenBLAS's own thread pool never competes with the
// goroutines. A big Sgemm is cut into column (or row) blocks, one per
// worker; a conv splits its batch over workers and each worker calls the
// single-threaded GEMM on its images.
//
// Determinism: every result is bit-identical run to run. Reductions over
// the batch (backward filter) sum into per-block partials over a fixed
// split that does not depend on timing, then add the partials in block
// order; no atomics, no shared float accumulators.
//
// Layout, shape checks and the forward-overwrites/backward-accumulates
// rule are those of package kernels.
package fast

import (
	"sync"

	"github.com/rdarts/rdarts/internal/kernels"
)

// Backend is the fast implementation; the zero value is ready to use.
type Backend struct{}

var _ kernels.Backend = Backend{}

// Name implements kernels.Backend.
func (Backend) Name() string { return "fast" }

// scratchPool holds float32 buffers reused across calls, so convs do not
// allocate their im2col and partial-sum buffers in steady state.
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// getScratch returns a buffer of length n (contents undefined); give it
// back with putScratch.
func getScratch(n int) *[]float32 {
	s := scratchPool.Get().(*[]float32)
	if cap(*s) < n {
		*s = make([]float32, n)
	}
	*s = (*s)[:n]
	return s
}

func putScratch(s *[]float32) { scratchPool.Put(s) }

// minParallelWork is roughly the number of flops below which handing work
// to another goroutine costs more than it saves (a wakeup is a few µs).
const minParallelWork = 1 << 16

// grain is the parallel.For grain for items of the given cost, so loops
// too small to be worth splitting run inline.
func grain(costPerItem int) int {
	return max(1, minParallelWork/max(1, costPerItem))
}
