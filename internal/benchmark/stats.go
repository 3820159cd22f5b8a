// Package benchmark times rdarts' hot paths — the search step (first and
// second order, α and w parts apart), the evaluation-network training step
// and one dominant-eigenvalue computation — on synthetic inputs, and counts
// the floating-point work they do so the rate can be set against the
// machine's peak. `rdarts bench` is its command; bench/compare.sh sets its
// numbers against the PyTorch twin in bench/pytorch.
package benchmark

import (
	"math"
	"slices"
)

// Summary describes repeated timings, in seconds.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
}

// Summarize returns the order statistics of xs (which it does not modify).
// The median of an even count is the mean of the two middle values. An
// empty xs gives the zero Summary with NaN statistics.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		nan := math.NaN()
		return Summary{Median: nan, Min: nan, Max: nan, Mean: nan}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	var sum float64
	for _, x := range s {
		sum += x
	}
	return Summary{N: n, Median: med, Min: s[0], Max: s[n-1], Mean: sum / float64(n)}
}
