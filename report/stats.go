package report

import (
	"math"
	"sort"
)

// Pearson returns the Pearson correlation of x and y; NaN if they have
// fewer than two points or either is constant. It panics if the lengths
// differ.
func Pearson(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("report: Pearson: x and y differ in length")
	}
	if len(x) < 2 {
		return math.NaN()
	}
	mx, _ := MeanStd(x)
	my, _ := MeanStd(y)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks, tied values sharing the mean of their ranks
// (as scipy.stats.spearmanr). NaN as for Pearson.
func Spearman(x, y []float64) float64 {
	return Pearson(Ranks(x), Ranks(y))
}

// Ranks returns the 1-based ranks of x, ties given their average rank.
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}
