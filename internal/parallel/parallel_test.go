package parallel

import (
	"sync/atomic"
	"testing"
)

func TestForCoversOnceInFixedChunks(t *testing.T) {
	defer SetWorkers(0)
	for _, w := range []int{1, 2, 3} {
		SetWorkers(w)
		for _, n := range []int{0, 1, 5, 100, 1001} {
			hits := make([]int32, n)
			chunks := make([][2]int, Chunks(n, 10))
			For(n, 10, func(c, lo, hi int) {
				chunks[c] = [2]int{lo, hi}
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("workers %d, n %d: index %d visited %d times", w, n, i, h)
				}
			}
			// Chunk k is the k-th contiguous slice, whatever the timing.
			for k := 1; k < len(chunks); k++ {
				if chunks[k][0] != chunks[k-1][1] {
					t.Errorf("workers %d, n %d: chunks %v not contiguous in order", w, n, chunks)
				}
			}
			if n < 20 && len(chunks) != 1 {
				t.Errorf("n %d below 2·grain split into %d chunks", n, len(chunks))
			}
		}
	}
}
