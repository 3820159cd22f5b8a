// Package parallel splits loops over the machine's cores in a fixed way, so
// results that are summed per chunk come out bit-identical run to run.
package parallel

import (
	"runtime"
	"sync"
)

var workers = runtime.GOMAXPROCS(0)

// SetWorkers fixes the number of chunks (at least 1); 0 means GOMAXPROCS.
func SetWorkers(n int) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	workers = n
}

// Workers is the number of chunks For uses.
func Workers() int { return workers }

// For runs body over [0,n) split into at most Workers() contiguous chunks;
// chunk k gets the k-th slice whatever the timing, and body receives k so it
// can write per-chunk partial results that the caller sums in chunk order.
// Small loops (n < grain) run inline as one chunk.
func For(n, grain int, body func(chunk, lo, hi int)) {
	w := workers
	if n < grain*2 || w <= 1 {
		if n > 0 {
			body(0, 0, n)
		}
		return
	}
	if w > n {
		w = n
	}
	var wg sync.WaitGroup
	for k := 1; k < w; k++ {
		lo, hi := k*n/w, (k+1)*n/w
		wg.Add(1)
		go func() { defer wg.Done(); body(k, lo, hi) }()
	}
	body(0, 0, n/w)
	wg.Wait()
}

// Chunks reports how many chunks For(n, grain, ...) will use.
func Chunks(n, grain int) int {
	if n < grain*2 || workers <= 1 {
		return 1
	}
	return min(workers, n)
}
