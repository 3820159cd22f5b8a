package corpus

import (
	"fmt"
	"math/rand/v2"
)

// Synthetic is a corpus of uniformly random tokens over a vocabulary of
// vocab placeholder words ("w0", "w1", …), for benchmarks: the model's cost
// depends on the sizes only.
func Synthetic(vocab, train, valid, test int, seed uint64) *Corpus {
	v := NewVocab()
	for i := range vocab {
		v.add(fmt.Sprint("w", i))
	}
	r := rand.New(rand.NewPCG(seed, 0x70c))
	draw := func(n int) []int32 {
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(r.IntN(vocab))
		}
		return s
	}
	return &Corpus{Vocab: v, Train: draw(train), Valid: draw(valid), Test: draw(test)}
}
