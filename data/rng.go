package data

import "math/rand/v2"

// Purposes keep the random streams for different uses independent.
const (
	purposeOrder   = 1 // epoch permutation
	purposeAugment = 2 // per-image augmentation in an epoch pass
	purposeDraw    = 3 // which images an α batch takes
	purposeDrawAug = 4 // per-image augmentation of an α batch
)

// splitmix64's finaliser: a bijective, well-mixed hash of one word.
func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// key hashes the words that identify one random choice.
func key(seed, purpose, stream, epoch, step, slot uint64) uint64 {
	h := splitmix(seed)
	for _, w := range [...]uint64{purpose, stream, epoch, step, slot} {
		h = splitmix(h ^ w)
	}
	return h
}

// rng is a reseedable generator: one allocation, reseeded per use.
type rng struct {
	pcg rand.PCG
	r   *rand.Rand
}

func newRNG() *rng {
	g := &rng{}
	g.r = rand.New(&g.pcg)
	return g
}

// at reseeds the generator for one choice and returns it. Both PCG words
// are hashed from the key: PCG streams whose seeds differ only in the high
// word would share their low state bits.
func (g *rng) at(seed, purpose, stream, epoch, step, slot uint64) *rand.Rand {
	k := key(seed, purpose, stream, epoch, step, slot)
	g.pcg.Seed(k, splitmix(k^0x5851f42d4c957f2d))
	return g.r
}
