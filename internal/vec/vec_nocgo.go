//go:build !cgo

package vec

// Without cgo the pure-Go kernels are the implementation.

func relu(dst, src []float32)                     { goReLU(dst, src) }
func reluGrad(dst, y, dy []float32, add bool)     { goReLUGrad(dst, y, dy, add) }
func reluMaskGrad(dst, x, dy []float32, add bool) { goReLUMaskGrad(dst, x, dy, add) }
func axpy(dst []float32, a float32, src []float32, add bool) {
	goAxpy(dst, a, src, add)
}
func dot(a, b []float32) float64 { return goDot(a, b) }
func dotAxpy(dst []float32, a float32, src, x []float32, add bool, acc float64) float64 {
	return goDotAxpy(dst, a, src, x, add, acc)
}
func sumSq(x []float32, n, hw, stride int, k float32) (s, q float64) {
	return goSumSq(x, n, hw, stride, k)
}
func dots(dy, x []float32, n, hw, stride int) (s, d float64) { return goDots(dy, x, n, hw, stride) }
func affine(dst, x []float32, n, hw, stride int, scale, shift float32) {
	goAffine(dst, x, n, hw, stride, scale, shift)
}
func affineGrad(dst, dy, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	goAffineGrad(dst, dy, x, n, hw, stride, k, p, q, add)
}
func dotsReLU(dy, y, x []float32, n, hw, stride int) (s, d float64) {
	return goDotsReLU(dy, y, x, n, hw, stride)
}
func affineReLU(dst, x []float32, n, hw, stride int, scale, shift float32) {
	goAffineReLU(dst, x, n, hw, stride, scale, shift)
}
func affineGradReLU(dst, dy, y, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	goAffineGradReLU(dst, dy, y, x, n, hw, stride, k, p, q, add)
}
func weightedSum(dst []float32, w []float32, xs [][]float32) { goWeightedSum(dst, w, xs) }

// CPUFeatures names the instruction set the kernels run with: without cgo
// they are plain Go loops, which use none explicitly.
func CPUFeatures() string { return "none (pure Go)" }
