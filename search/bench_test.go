package search

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/supernet"
)

// BenchmarkSearchStep times one search step (α step + w step) at the
// paper's size: 8 cells, 16 channels, batch 64, 32×32×3, S2 and S1.
func BenchmarkSearchStep(b *testing.B) {
	for _, sp := range []string{"s2", "s1"} {
		for _, order := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/order%d", sp, order), func(b *testing.B) {
				s, _ := space.Get(sp)
				net, err := supernet.New(supernet.Config{Space: s, InChannels: 3, Classes: 10, C: 16, Layers: 8}, 1)
				if err != nil {
					b.Fatal(err)
				}
				cfg := Defaults()
				cfg.Order = order
				bl := NewBilevel(net, fast.Backend{}, cfg)
				r := rand.New(rand.NewPCG(1, 1))
				train, val := randBatch(r, 64, 3, 32, 10), randBatch(r, 64, 3, 32, 10)
				bl.Step(train, val, 0.025, 0, 0, 0) // warm-up: buffers, momentum
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					bl.Step(train, val, 0.025, 0, 0, i+1)
				}
				b.StopTimer()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/step")
				b.ReportMetric(float64(bl.Tape.MemoryBytes())/(1<<30), "arena-GiB")
				b.ReportMetric(float64(ms.Sys)/(1<<30), "sys-GiB")
			})
		}
	}
}
