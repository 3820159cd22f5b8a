package benchmark

import (
	"sync"
	"time"
)

// FMAPeak measures the FP32 peak of threads cores: each runs a loop of
// independent vector fused multiply-adds (12 accumulators, the widest
// vectors the CPU has, and on AVX-512 parts the 256-bit loop too), all at
// once, for about 0.1 s, best of three; it returns the rate in GFLOPS, or
// 0 where no such loop is built (without cgo, or not on amd64). Unlike
// the nominal peak (clock × FLOPs/cycle from /proc/cpuinfo) it sees the
// clock the cores really run at, boost included, and the FMA pipes a part
// really has.
func FMAPeak(threads int) float64 {
	threads = max(threads, 1)
	best := 0.0
	for _, lanes := range fmaLevels() {
		// Size the loop to about 0.1 s on one core first.
		iters := int64(1 << 16)
		for {
			t := time.Now()
			fmaLoop(lanes, iters)
			if d := time.Since(t); d > 20*time.Millisecond || iters > 1<<34 {
				iters = int64(float64(iters) * 0.1 / d.Seconds())
				break
			}
			iters *= 4
		}
		for range 3 {
			var wg sync.WaitGroup
			t := time.Now()
			flops := make([]int64, threads)
			for w := range threads {
				wg.Go(func() { flops[w], _ = fmaLoop(lanes, iters) })
			}
			wg.Wait()
			d := time.Since(t).Seconds()
			var total int64
			for _, f := range flops {
				total += f
			}
			if r := float64(total) / d / 1e9; r > best {
				best = r
			}
		}
	}
	return best
}
