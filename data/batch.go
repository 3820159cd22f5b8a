package data

import (
	"fmt"
	"math/rand/v2"
)

// Batch is a mini-batch: X holds N normalised C×H×W images (N*C*H*W
// values), Y their labels and Index their positions in the dataset.
type Batch struct {
	X          []float32
	Y          []int32
	Index      []int32
	N, C, H, W int
}

// resize sets the shape, reusing the buffers when they are big enough.
func (b *Batch) resize(n, c, h, w int) {
	b.N, b.C, b.H, b.W = n, c, h, w
	if cap(b.X) < n*c*h*w {
		b.X = make([]float32, n*c*h*w)
	}
	if cap(b.Y) < n {
		b.Y = make([]int32, n)
		b.Index = make([]int32, n)
	}
	b.X, b.Y, b.Index = b.X[:n*c*h*w], b.Y[:n], b.Index[:n]
}

// Clone returns a deep copy, for keeping a batch past the iterator's reuse.
func (b *Batch) Clone() *Batch {
	c := *b
	c.X = append([]float32(nil), b.X...)
	c.Y = append([]int32(nil), b.Y...)
	c.Index = append([]int32(nil), b.Index...)
	return &c
}

// Loader describes how batches are drawn from a subset. It holds no state:
// every batch is a function of its fields and (epoch, step), so a run
// resumed at any epoch or step sees identical batches.
type Loader struct {
	Data      Subset
	BatchSize int
	Shuffle   bool      // permute the subset each epoch; false keeps Index order
	Transform Transform // e.g. Eval or Train
	Seed      uint64
	Stream    uint64 // distinguishes loaders sharing a seed (e.g. train and valid halves)
}

func (l *Loader) check() {
	if l.BatchSize <= 0 || l.Transform == nil || l.Data.D == nil {
		panic(fmt.Sprintf("data: Loader needs a dataset, a transform and a positive batch size (got %d)", l.BatchSize))
	}
}

// Steps returns the number of batches in one epoch (the last may be short).
func (l *Loader) Steps() int {
	l.check()
	return (l.Data.Len() + l.BatchSize - 1) / l.BatchSize
}

// A Source fills the batch of a given step. Fill must be a pure function
// of step (and the Source's configuration), which makes prefetching and
// resuming exact. A Source is safe for one goroutine at a time.
type Source interface {
	Steps() int
	Fill(step int, dst *Batch)
}

// Epoch is one pass over a Loader's subset; it implements Source.
type Epoch struct {
	l     Loader
	epoch uint64
	order []int32
	g     *rng
}

// Epoch returns pass number epoch: the subset permuted by (Seed, Stream,
// epoch) if Shuffle, else in order.
func (l *Loader) Epoch(epoch int) *Epoch {
	l.check()
	e := &Epoch{l: *l, epoch: uint64(epoch), g: newRNG()}
	e.order = append([]int32(nil), l.Data.Index...)
	if l.Shuffle {
		r := e.g.at(l.Seed, purposeOrder, l.Stream, e.epoch, 0, 0)
		r.Shuffle(len(e.order), func(i, j int) { e.order[i], e.order[j] = e.order[j], e.order[i] })
	}
	return e
}

// Steps implements Source.
func (e *Epoch) Steps() int { return e.l.Steps() }

// Fill implements Source: batch step holds images [step·B, step·B+B) of the
// epoch's order; each image's augmentation is keyed by its position.
func (e *Epoch) Fill(step int, dst *Batch) {
	if step < 0 || step >= e.Steps() {
		panic(fmt.Sprintf("data: Epoch.Fill: step %d outside [0, %d)", step, e.Steps()))
	}
	lo := step * e.l.BatchSize
	hi := min(lo+e.l.BatchSize, len(e.order))
	d := e.l.Data.D
	dst.resize(hi-lo, d.C, d.H, d.W)
	chw := d.C * d.H * d.W
	for j, idx := range e.order[lo:hi] {
		r := e.g.at(e.l.Seed, purposeAugment, e.l.Stream, e.epoch, uint64(lo+j), 0)
		e.l.Transform.Apply(dst.X[j*chw:(j+1)*chw], d.Image(int(idx)), d.C, d.H, d.W, r)
		dst.Y[j] = int32(d.Labels[idx])
		dst.Index[j] = idx
	}
}

// Draws is the α-step source: each step takes BatchSize distinct images
// drawn uniformly from the subset (the first batch of a freshly shuffled
// pass, as the reference does), independently across steps. Shuffle is
// ignored. It implements Source with steps steps.
type Draws struct {
	l     Loader
	epoch uint64
	steps int
	g     *rng
}

// Draws returns the α batches of one epoch, steps of them (in the search,
// one per training step: the training loader's Steps()).
func (l *Loader) Draws(epoch, steps int) *Draws {
	l.check()
	return &Draws{l: *l, epoch: uint64(epoch), steps: steps, g: newRNG()}
}

// RandomBatch fills dst with the α batch of (epoch, step); it equals
// batch step of l.Draws(epoch, n) for any n > step.
func (l *Loader) RandomBatch(epoch, step int, dst *Batch) {
	l.Draws(epoch, step+1).Fill(step, dst)
}

// Steps implements Source.
func (s *Draws) Steps() int { return s.steps }

// Fill implements Source.
func (s *Draws) Fill(step int, dst *Batch) {
	if step < 0 || step >= s.steps {
		panic(fmt.Sprintf("data: Draws.Fill: step %d outside [0, %d)", step, s.steps))
	}
	l, d := &s.l, s.l.Data.D
	n := min(l.BatchSize, l.Data.Len())
	dst.resize(n, d.C, d.H, d.W)
	sample(dst.Index, l.Data.Len(), s.g.at(l.Seed, purposeDraw, l.Stream, s.epoch, uint64(step), 0))
	chw := d.C * d.H * d.W
	for j, k := range dst.Index {
		idx := l.Data.Index[k]
		r := s.g.at(l.Seed, purposeDrawAug, l.Stream, s.epoch, uint64(step), uint64(j))
		l.Transform.Apply(dst.X[j*chw:(j+1)*chw], d.Image(int(idx)), d.C, d.H, d.W, r)
		dst.Y[j] = int32(d.Labels[idx])
		dst.Index[j] = idx
	}
}

// sample fills out with len(out) distinct integers from [0, n) in random
// order: Floyd's algorithm, then a shuffle. O(len(out)²) time and no extra
// memory, which beats an O(n) permutation for batch-sized draws.
func sample(out []int32, n int, r *rand.Rand) {
	k := len(out)
	for i, j := 0, n-k; j < n; i, j = i+1, j+1 {
		t := int32(r.IntN(j + 1))
		for _, v := range out[:i] {
			if v == t {
				t = int32(j)
				break
			}
		}
		out[i] = t
	}
	r.Shuffle(k, func(a, b int) { out[a], out[b] = out[b], out[a] })
}
