//go:build cgo

package vec

import "testing"

var cKernels = kernels{cReLU, cReLUGrad, cReLUMaskGrad, cAxpy, cDot, cSumSq, cDots, cAffine, cAffineGrad, cWeightedSum,
	cDotsReLU, cAffineReLU, cAffineGradReLU, cDotAxpy}

var levelNames = []string{"base", "avx2", "avx512"}

// TestLevels runs the suite on the C kernels of every instruction-set
// level this CPU supports (so the SSE2 and AVX2 code is tested on an
// AVX-512 machine too), without the small-size shortcut to Go, and wants
// each bit-identical to the Go kernels.
func TestLevels(t *testing.T) {
	defer setLevel(cpuLevel)
	t.Logf("CPU level: %s", levelNames[cpuLevel])
	for l := 0; l <= cpuLevel; l++ {
		setLevel(l)
		t.Run(levelNames[l], func(t *testing.T) {
			testKernels(t, cKernels)
			compareKernels(t, cKernels, goKernels)
		})
	}
}

func init() {
	for l := cpuLevel; l >= 0; l-- {
		benchImpls = append(benchImpls, benchImpl{"c-" + levelNames[l], cKernels, l})
	}
}

// setBenchLevel selects C level l, or the CPU's best for l < 0.
func setBenchLevel(l int) {
	if l < 0 {
		l = cpuLevel
	}
	setLevel(l)
}
