package fast_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/kernels/fast"
)

// TestDepthwiseFlatSameBits: the flattened loops the C kernels run on
// narrow planes give the bits of the row loops, forward and input
// gradient, on the network's filters at the plane sizes it meets (8×8,
// 7×7 after two reductions) and around the cutoff.
func TestDepthwiseFlatSameBits(t *testing.T) {
	defer fast.SetDWFlat(true)
	rng := rand.New(rand.NewPCG(7, 8))
	rnd := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 2*rng.Float32() - 1
		}
		return s
	}
	for _, hw := range [][2]int{{1, 1}, {3, 3}, {4, 4}, {7, 7}, {8, 8}, {14, 14}, {15, 15}, {16, 16}, {5, 13}, {11, 6}, {40, 9}} {
		for _, k := range [][3]int{{3, 1, 1}, {5, 2, 1}, {3, 2, 2}, {5, 4, 2}, {7, 3, 1}, {3, 0, 1}} { // kernel, padding, dilation
			p := kernels.Conv{N: 2, C: 3, H: hw[0], W: hw[1], K: 3, KH: k[0], KW: k[0], SH: 1, SW: 1,
				PH: k[1], PW: k[1], DH: k[2], DW: k[2], Groups: 3}
			if p.OutH() < 1 || p.OutW() < 1 {
				continue
			}
			x, w, dy, dx0 := rnd(p.XLen()), rnd(p.WLen()), rnd(p.YLen()), rnd(p.XLen())
			var outs [2][3][]float32
			for i, on := range []bool{true, false} {
				fast.SetDWFlat(on)
				y, dxw, dxa := make([]float32, p.YLen()), make([]float32, p.XLen()), append([]float32(nil), dx0...)
				fast.Backend{}.ConvForward(p, x, w, y)
				fast.Backend{}.ConvBackwardData(p, dy, w, dxw, false)
				fast.Backend{}.ConvBackwardData(p, dy, w, dxa, true)
				outs[i] = [3][]float32{y, dxw, dxa}
			}
			for j, what := range []string{"forward", "backward data", "backward data (add)"} {
				a, b := outs[0][j], outs[1][j]
				for i := range a {
					if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
						t.Fatalf("%s %+v: [%d] flat %g, rows %g", what, p, i, a[i], b[i])
					}
				}
			}
		}
	}
}
