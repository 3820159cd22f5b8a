package fast_test

import (
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/kernels/kerneltest"
)

func TestBackend(t *testing.T) { kerneltest.TestBackend(t, fast.Backend{}) }

// TestGoDepthwise keeps the pure-Go depthwise loops (the !cgo path)
// tested when cgo is on.
func TestGoDepthwise(t *testing.T) { kerneltest.TestBackend(t, fast.GoDepthwise{}) }

func BenchmarkSgemm1024(b *testing.B)    { kerneltest.BenchmarkSgemm1024(b, fast.Backend{}) }
func BenchmarkSgemmBatch(b *testing.B)   { kerneltest.BenchmarkSgemmBatch(b, fast.Backend{}) }
func BenchmarkConv3x3(b *testing.B)      { kerneltest.BenchmarkConv3x3(b, fast.Backend{}) }
func BenchmarkConv1x1(b *testing.B)      { kerneltest.BenchmarkConv1x1(b, fast.Backend{}) }
func BenchmarkDepthwise3x3(b *testing.B) { kerneltest.BenchmarkDepthwise3x3(b, fast.Backend{}) }
func BenchmarkDilated5x5(b *testing.B)   { kerneltest.BenchmarkDilated5x5(b, fast.Backend{}) }
func BenchmarkMaxPool3x3(b *testing.B)   { kerneltest.BenchmarkMaxPool3x3(b, fast.Backend{}) }
func BenchmarkAvgPool3x3(b *testing.B)   { kerneltest.BenchmarkAvgPool3x3(b, fast.Backend{}) }

func BenchmarkDepthwiseShapes(b *testing.B) {
	kerneltest.BenchmarkDepthwiseShapes(b, fast.Backend{})
}

// The Go-loop depthwise kernels, timed in the same run as the C ones.
func BenchmarkDepthwise3x3Go(b *testing.B) { kerneltest.BenchmarkDepthwise3x3(b, fast.GoDepthwise{}) }
func BenchmarkDilated5x5Go(b *testing.B)   { kerneltest.BenchmarkDilated5x5(b, fast.GoDepthwise{}) }
func BenchmarkDepthwiseShapesGo(b *testing.B) {
	kerneltest.BenchmarkDepthwiseShapes(b, fast.GoDepthwise{})
}
