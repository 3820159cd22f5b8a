package data

import "math"

// Summary describes a dataset on disk; it marshals to JSON.
type Summary struct {
	Dataset string       `json:"dataset"`
	Dir     string       `json:"dir"`
	Shape   [3]int       `json:"shape"` // C, H, W
	Classes int          `json:"classes"`
	Train   SplitSummary `json:"train"`
	Test    SplitSummary `json:"test"`
	Norm    Norm         `json:"norm"` // the constants training uses
}

// SplitSummary describes one split.
type SplitSummary struct {
	Images      int       `json:"images"`
	ClassCounts []int     `json:"class_counts"`
	Mean        []float64 `json:"mean"` // per channel, of pixel/255
	Std         []float64 `json:"std"`  // per channel, population std
}

// Inspect loads both splits of a dataset and summarises them.
func Inspect(name, dir string) (Summary, error) {
	if dir == "" {
		dir = DefaultDir(name)
	}
	norm, err := NormFor(name)
	if err != nil {
		return Summary{}, err
	}
	train, err := Load(name, dir, true)
	if err != nil {
		return Summary{}, err
	}
	test, err := Load(name, dir, false)
	if err != nil {
		return Summary{}, err
	}
	return Summary{
		Dataset: name, Dir: dir, Shape: [3]int{train.C, train.H, train.W}, Classes: train.Classes,
		Train: Summarize(train), Test: Summarize(test), Norm: norm,
	}, nil
}

// Summarize computes class counts and per-channel pixel statistics.
func Summarize(d *Dataset) SplitSummary {
	s := SplitSummary{Images: d.N, ClassCounts: make([]int, d.Classes),
		Mean: make([]float64, d.C), Std: make([]float64, d.C)}
	for _, l := range d.Labels {
		s.ClassCounts[l]++
	}
	hw := d.H * d.W
	for ch := 0; ch < d.C; ch++ {
		var sum, sq uint64 // exact integer sums of v and v²
		for i := 0; i < d.N; i++ {
			for _, v := range d.Pixels[(i*d.C+ch)*hw : (i*d.C+ch+1)*hw] {
				sum += uint64(v)
				sq += uint64(v) * uint64(v)
			}
		}
		n := float64(d.N * hw)
		mean := float64(sum) / n
		s.Mean[ch] = mean / 255
		s.Std[ch] = math.Sqrt(math.Max(float64(sq)/n-mean*mean, 0)) / 255
	}
	return s
}
