package data

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// flips counts, over n seeds, how often dataset name's training transform
// mirrors a 28×28 image whose left half is bright and right half dark. Any
// crop moves the edge by at most 4 pixels, so output columns 4..9 stay on
// the bright side unless the image was flipped.
func flips(t *testing.T, name string, n int) int {
	t.Helper()
	tf, err := TrainTransform(name, true)
	if err != nil {
		t.Fatal(err)
	}
	const h, w = 28, 28
	src := make([]uint8, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w/2; x++ {
			src[y*w+x] = 200
		}
	}
	dst := make([]float32, h*w)
	// Bright pixels lie above the level of 100; dark ones, padding and cutout
	// (0 after normalisation) below it.
	mid := (100.0/255 - tf.Norm.Mean[0]) / tf.Norm.Std[0]
	count := 0
	for seed := 0; seed < n; seed++ {
		tf.Apply(dst, src, 1, h, w, rand.New(rand.NewPCG(uint64(seed), 7)))
		bright, dark := 0, 0
		for y := 0; y < h; y++ {
			for x := 4; x < 10; x++ {
				if dst[y*w+x] > mid {
					bright++
				}
				if dst[y*w+w-1-x] > mid {
					dark++ // bright pixels on the right
				}
			}
		}
		switch {
		case bright > 0 && dark == 0:
		case dark > 0 && bright == 0:
			count++
		default:
			t.Fatalf("%s seed %d: %d bright pixels left, %d right", name, seed, bright, dark)
		}
	}
	return count
}

func TestMNISTNeverFlips(t *testing.T) {
	if got := flips(t, "mnist", 2000); got != 0 {
		t.Errorf("mnist: %d of 2000 images flipped, want 0", got)
	}
}

func TestFashionMNISTFlipsHalf(t *testing.T) {
	// Binomial(2000, 1/2): mean 1000, std ≈ 22; ±5 std.
	if got := flips(t, "fashion-mnist", 2000); got < 890 || got > 1110 {
		t.Errorf("fashion-mnist: %d of 2000 images flipped, want ≈ 1000", got)
	}
}

func TestAugmentFor(t *testing.T) {
	for _, name := range Names {
		a, err := AugmentFor(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := (Augment{Pad: 4, Flip: name != "mnist"}); a != want {
			t.Errorf("%s: %+v, want %+v", name, a, want)
		}
		for _, cutout := range []bool{false, true} {
			tf, err := TrainTransform(name, cutout)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := NormFor(name)
			want := StandardTrain(n, cutout)
			want.Flip = a.Flip
			if !reflect.DeepEqual(tf, want) {
				t.Errorf("TrainTransform(%s, %v) = %+v, want %+v", name, cutout, tf, want)
			}
			// The colour datasets keep the reference's StandardTrain exactly.
			if name == "cifar10" && !reflect.DeepEqual(tf, StandardTrain(n, cutout)) {
				t.Errorf("cifar10 differs from StandardTrain")
			}
		}
	}
	if _, err := AugmentFor("imagenet"); err == nil {
		t.Error("AugmentFor(imagenet) succeeded")
	}
	if _, err := TrainTransform("imagenet", false); err == nil {
		t.Error("TrainTransform(imagenet) succeeded")
	}
}
