package purego_test

import (
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/kerneltest"
	"github.com/rdarts/rdarts/internal/kernels/purego"
)

func TestBackend(t *testing.T) { kerneltest.TestBackend(t, purego.Backend{}) }

func BenchmarkSgemm1024(b *testing.B)    { kerneltest.BenchmarkSgemm1024(b, purego.Backend{}) }
func BenchmarkSgemmBatch(b *testing.B)   { kerneltest.BenchmarkSgemmBatch(b, purego.Backend{}) }
func BenchmarkConv3x3(b *testing.B)      { kerneltest.BenchmarkConv3x3(b, purego.Backend{}) }
func BenchmarkConv1x1(b *testing.B)      { kerneltest.BenchmarkConv1x1(b, purego.Backend{}) }
func BenchmarkDepthwise3x3(b *testing.B) { kerneltest.BenchmarkDepthwise3x3(b, purego.Backend{}) }
func BenchmarkDilated5x5(b *testing.B)   { kerneltest.BenchmarkDilated5x5(b, purego.Backend{}) }
func BenchmarkMaxPool3x3(b *testing.B)   { kerneltest.BenchmarkMaxPool3x3(b, purego.Backend{}) }
func BenchmarkAvgPool3x3(b *testing.B)   { kerneltest.BenchmarkAvgPool3x3(b, purego.Backend{}) }
