package fast_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/kernels/kerneltest"
)

// TestPoolCMatchesGo: the C pools (cgo) and the Go loops (the !cgo path)
// give the same bits, winners included, on every shape class the network
// uses and on planes smaller than a window, with ties, NaNs and −0 in the
// input.
func TestPoolCMatchesGo(t *testing.T) {
	var shapes []kernels.Pool
	for _, hw := range [][2]int{{1, 1}, {2, 2}, {2, 3}, {3, 3}, {4, 6}, {6, 4}, {5, 7}, {8, 8}, {9, 9}, {16, 16}, {32, 32}, {17, 40}} {
		for _, ksp := range [][3]int{{3, 1, 1}, {3, 2, 1}, {3, 1, 0}, {2, 2, 0}, {5, 1, 2}, {3, 3, 1}} {
			p := kernels.Pool{N: 3, C: 5, H: hw[0], W: hw[1], K: ksp[0], S: ksp[1], P: ksp[2]}
			if p.OutH() < 1 || p.OutW() < 1 {
				continue
			}
			shapes = append(shapes, p)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range shapes {
		xn, yn := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
		x, dy, dx0 := make([]float32, xn), make([]float32, yn), make([]float32, xn)
		for i := range x {
			switch r := rng.IntN(20); {
			case r == 0:
				x[i] = 0.5 // ties
			case r == 1:
				x[i] = float32(math.Copysign(0, -1))
			case r == 2 && i%97 == 0:
				x[i] = float32(math.NaN())
			default:
				x[i] = 2*rng.Float32() - 1
			}
			dx0[i] = 2*rng.Float32() - 1
		}
		for i := range dy {
			dy[i] = 2*rng.Float32() - 1
		}
		var outs [2]struct {
			ymax, yavg, dx []float32
			arg            []int32
		}
		for i, b := range []kernels.Backend{fast.Backend{}, fast.GoDepthwise{}} {
			o := &outs[i]
			o.ymax, o.yavg, o.arg = make([]float32, yn), make([]float32, yn), make([]int32, yn)
			o.dx = append([]float32(nil), dx0...)
			b.MaxPoolForward(p, x, o.ymax, o.arg)
			b.AvgPoolForward(p, x, o.yavg)
			b.AvgPoolBackward(p, dy, o.dx)
		}
		name := fmt.Sprintf("%+v", p)
		for i := range outs[0].arg {
			if outs[0].arg[i] != outs[1].arg[i] {
				t.Fatalf("%s: max pool winner [%d] C %d, Go %d", name, i, outs[0].arg[i], outs[1].arg[i])
			}
		}
		for _, c := range []struct {
			what string
			a, b []float32
		}{{"max forward", outs[0].ymax, outs[1].ymax}, {"avg forward", outs[0].yavg, outs[1].yavg}, {"avg backward", outs[0].dx, outs[1].dx}} {
			for i := range c.a {
				if math.Float32bits(c.a[i]) != math.Float32bits(c.b[i]) {
					t.Fatalf("%s %s: [%d] C %g, Go %g", name, c.what, i, c.a[i], c.b[i])
				}
			}
		}
	}
}

func BenchmarkMaxPool3x3Go(b *testing.B) { kerneltest.BenchmarkMaxPool3x3(b, fast.GoDepthwise{}) }
func BenchmarkAvgPool3x3Go(b *testing.B) { kerneltest.BenchmarkAvgPool3x3(b, fast.GoDepthwise{}) }
