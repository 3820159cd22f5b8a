//go:build !cgo || !amd64

package benchmark

// Without cgo on amd64 there is no vector FMA loop to time: the peak stays
// the nominal one.
func fmaLevels() []int { return nil }

func fmaLoop(lanes int, iters int64) (int64, float64) { return 0, 0 }
