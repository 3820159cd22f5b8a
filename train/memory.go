package train

// TrainBytes estimates the memory of a training step of the evaluation
// network: per cell, its eight ops keep about six tensors of the cell's
// node size each (a generous count, so that only what cannot fit is
// refused), plus the input batch.
func TrainBytes(c Config, inC, h, w int) float64 {
	c = c.Resolved()
	var floats float64
	ch, hh, ww := float64(c.Channels), float64(h), float64(w)
	for i := range c.Layers {
		if i == c.Layers/3 || i == 2*c.Layers/3 {
			ch, hh, ww = 2*ch, (hh+1)/2, (ww+1)/2
		}
		floats += ch * hh * ww * (8*6 + 4)
	}
	floats = floats*float64(c.BatchSize) + 2*float64(c.BatchSize)*float64(inC*h*w)
	return 4 * floats
}
