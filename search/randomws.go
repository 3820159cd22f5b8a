package search

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/space"
)

// RS-ws, random search with weight sharing (Li & Talwalkar; docs/method.md, RS-ws): the
// one-shot weights are trained with a fresh random architecture (one-hot α)
// on every minibatch; no α is learnt. Loss and gradients are those of the
// sampled architecture's ops; the other ops run forward too, output
// discarded, so their batch-norm statistics follow the data as in the
// reference (Bilevel.Discrete, supernet.DiscreteStats). After training,
// RSArchs architectures are scored on RSBatches validation batches each, the
// ten best re-scored on the whole validation half, and the best one wins.
//
// Budget: the reference hard-codes ⌊epochs·25 000/batch⌋ steps (CIFAR's
// half); rdarts runs the epochs over the actual training half, which is the
// same for CIFAR-10 and scales with --train-size elsewhere.

const (
	rngSample = 100 + iota
	rngSelect
	rngPanel
)

// setArchitecture writes a genotype's one-hot α into the network.
func (b *Bilevel) setArchitecture(sp space.Space, g space.Genotype) {
	normal, reduce, err := space.OneHot(sp, g)
	if err != nil {
		panic(fmt.Sprintf("search: sampled genotype outside its space: %v", err)) // Sample's contract
	}
	rows := [][][]float64{normal, reduce}
	for i, a := range b.Net.Alphas() {
		k := 0
		for _, row := range rows[i] {
			for _, v := range row {
				a.Value.Data[k] = float32(v)
				k++
			}
		}
	}
}

func (r *Runner) sample(purpose, epoch, step int) space.Genotype {
	rng := rand.New(rand.NewPCG(r.Cfg.Seed, uint64(epoch)<<40^uint64(step)<<8^uint64(purpose)))
	return space.Sample(r.sp, rng)
}

// randomStep trains w on one batch with a freshly sampled architecture.
func (r *Runner) randomStep(train Batch, lr float64, epoch, step int) Result {
	r.b.setArchitecture(r.sp, r.sample(rngSample, epoch, step))
	return r.b.WeightStep(train, lr, 0, epoch, step)
}

// scoreArch is an architecture's accuracy (percent) on validation batches
// [first, first+n) of a fixed pass over the validation half, wrapping.
func (r *Runner) scoreArch(g space.Genotype, order *data.Epoch, first, n int, buf *data.Batch) float64 {
	r.b.setArchitecture(r.sp, g)
	var c, total int
	for j := 0; j < n; j++ {
		order.Fill((first+j)%order.Steps(), buf)
		res := r.b.Evaluate(toBatch(buf), true, 0, j)
		c += res.Correct
		total += res.N
	}
	return 100 * float64(c) / float64(total)
}

// validateRandomWS is RS-ws' per-epoch validation: the loss and accuracy
// (percent) over the whole α half in eval mode, validation batch j scored
// with the one-hot architecture panel(j), the same j-th architecture every
// epoch. It is the mean accuracy of a fixed panel of random architectures
// under the shared weights, which is what RS-ws trains (softmax of a one-hot
// α, what validate measures, is no architecture of the space). α is left as
// it was.
func (r *Runner) validateRandomWS(epoch int) (loss, acc float64) {
	saved := make([][]float32, 0, 2)
	for _, a := range r.b.Net.Alphas() {
		saved = append(saved, append([]float32(nil), a.Value.Data...))
	}
	defer func() {
		for i, a := range r.b.Net.Alphas() {
			copy(a.Value.Data, saved[i])
		}
	}()
	it := data.Iterate(r.infer.Epoch(epoch), 0, 2)
	defer it.Close()
	var l float64
	var c, n int
	for step := 0; ; step++ {
		vb, ok := it.Next()
		if !ok {
			break
		}
		r.b.setArchitecture(r.sp, r.panel(step))
		res := r.b.Evaluate(toBatch(vb), true, epoch, step)
		l += res.Loss * float64(res.N)
		c += res.Correct
		n += res.N
	}
	return l / float64(n), 100 * float64(c) / float64(n)
}

// panel is the j-th architecture of validateRandomWS' fixed panel.
func (r *Runner) panel(j int) space.Genotype { return r.sample(rngPanel, 0, j) }

// selectRandomWS is RS-ws' final selection; it returns the winner's record.
func (r *Runner) selectRandomWS() Metrics {
	order := r.infer.Epoch(r.Cfg.Epochs) // a pass no epoch used
	var buf data.Batch
	type scored struct {
		g   space.Genotype
		acc float64
	}
	cands := make([]scored, r.Cfg.RSArchs)
	for i := range cands {
		cands[i].g = r.sample(rngSelect, 0, i)
		// The validation iterator continues across architectures, as the reference's.
		cands[i].acc = r.scoreArch(cands[i].g, order, i*r.Cfg.RSBatches, r.Cfg.RSBatches, &buf)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].acc > cands[j].acc })
	top := cands[:min(10, len(cands))]
	for i := range top {
		top[i].acc = r.scoreArch(top[i].g, order, 0, order.Steps(), &buf)
	}
	sort.SliceStable(top, func(i, j int) bool { return top[i].acc > top[j].acc })
	best := top[0]
	r.b.setArchitecture(r.sp, best.g)
	last := r.state.History[len(r.state.History)-1]
	return Metrics{Epoch: last.Epoch, LR: last.LR, WeightDecay: last.WeightDecay, ValidAcc: best.acc,
		Genotype: best.g.String(), Event: &Event{Kind: EventRSSelect, Epoch: last.Epoch, Candidates: len(cands)}}
}
