package data

import (
	"math/rand/v2"
	"testing"
)

// unit2 is a two-channel Norm with mean 0 and std 1, so outputs are exactly v/255.
var unit2 = Norm{Mean: []float32{0, 0}, Std: []float32{1, 1}}

func scaled(vs ...float32) []float32 {
	out := make([]float32, len(vs))
	for i, v := range vs {
		out[i] = v / 255
	}
	return out
}

func equalF(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: [%d] = %v, want %v (got %v)", what, i, got[i], want[i], got)
		}
	}
}

func TestCropFlip(t *testing.T) {
	// Two 2×3 channels; padded by 1, channel 0 is
	//   0 0 0 0 0
	//   0 1 2 3 0
	//   0 4 5 6 0
	//   0 0 0 0 0
	src := []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	cases := []struct {
		oy, ox int
		flip   bool
		want   []float32
	}{
		{1, 1, false, scaled(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)}, // centre = identity
		{0, 0, false, scaled(0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 7, 8)},
		{2, 2, false, scaled(5, 6, 0, 0, 0, 0, 11, 12, 0, 0, 0, 0)},
		{1, 0, true, scaled(2, 1, 0, 5, 4, 0, 8, 7, 0, 11, 10, 0)}, // crop [0 1 2; 0 4 5] mirrored
		{1, 1, true, scaled(3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10)},
		{0, 2, true, scaled(0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 9, 8)},
	}
	dst := make([]float32, 12)
	for _, c := range cases {
		CropFlipNormalize(dst, src, 2, 2, 3, 1, c.oy, c.ox, c.flip, unit2)
		equalF(t, "crop", dst, c.want)
	}
}

func TestNormalize(t *testing.T) {
	n := Norm{Mean: []float32{0.5, 0.2}, Std: []float32{0.25, 0.5}}
	dst := make([]float32, 4)
	Normalize(dst, []uint8{51, 255, 51, 0}, 2, 1, 2, n)
	want := []float32{(0.2 - 0.5) / 0.25, (1 - 0.5) / 0.25, 0, (0 - 0.2) / 0.5}
	for i := range want {
		if d := dst[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("[%d] = %v, want %v", i, dst[i], want[i])
		}
	}
	// Padding is a raw 0, so it normalises to -mean/std like a black pixel.
	CropFlipNormalize(dst, []uint8{51, 255, 51, 0}, 2, 1, 2, 1, 0, 0, false, n)
	if dst[0] != (0-0.5)/float32(0.25) || dst[3] != (0-0.2)/float32(0.5) {
		t.Errorf("padded pixels %v", dst)
	}
}

func TestCutout(t *testing.T) {
	ones := func(n int) []float32 {
		d := make([]float32, n)
		for i := range d {
			d[i] = 1
		}
		return d
	}
	// Centre (0, 5), length 4 on 6×6: rows [-2,2)→[0,2), columns [3,7)→[3,6).
	d := ones(2 * 36)
	Cutout(d, 2, 6, 6, 0, 5, 4)
	for ch := 0; ch < 2; ch++ {
		for y := 0; y < 6; y++ {
			for x := 0; x < 6; x++ {
				want := float32(1)
				if y < 2 && x >= 3 {
					want = 0
				}
				if d[ch*36+y*6+x] != want {
					t.Fatalf("ch %d (%d,%d) = %v, want %v", ch, y, x, d[ch*36+y*6+x], want)
				}
			}
		}
	}
	// The reference size: length 16 at (31, 0) on 32×32 zeroes rows 23..31, columns 0..7.
	d = ones(1024)
	Cutout(d, 1, 32, 32, 31, 0, 16)
	zeros := 0
	for i, v := range d {
		y, x := i/32, i%32
		if (v == 0) != (y >= 23 && x < 8) {
			t.Fatalf("(%d,%d) = %v", y, x, v)
		}
		if v == 0 {
			zeros++
		}
	}
	if zeros != 9*8 {
		t.Errorf("%d zeros, want 72", zeros)
	}
}

func TestTrainApplyDraws(t *testing.T) {
	src := make([]uint8, 3*32*32)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	n, _ := NormFor("cifar10")
	tr := StandardTrain(n, true)
	got, want := make([]float32, len(src)), make([]float32, len(src))
	for seed := uint64(0); seed < 50; seed++ {
		tr.Apply(got, src, 3, 32, 32, rand.New(rand.NewPCG(seed, 1)))
		r := rand.New(rand.NewPCG(seed, 1)) // replay the documented draw order
		oy, ox := r.IntN(9), r.IntN(9)
		flip := r.Float64() < 0.5
		CropFlipNormalize(want, src, 3, 32, 32, 4, oy, ox, flip, n)
		if r.Float64() < 1 {
			cy, cx := r.IntN(32), r.IntN(32)
			Cutout(want, 3, 32, 32, cy, cx, 16)
		}
		equalF(t, "train", got, want)
	}
	// Eval ignores randomness; Train without cutout never zeroes a square.
	Eval{Norm: n}.Apply(got, src, 3, 32, 32, nil)
	Normalize(want, src, 3, 32, 32, n)
	equalF(t, "eval", got, want)
}

func TestShapePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("short dst did not panic")
		}
	}()
	Normalize(make([]float32, 3), make([]uint8, 4), 1, 2, 2, Norm{Mean: []float32{0}, Std: []float32{1}})
}
