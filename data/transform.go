package data

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A Transform turns one image (C*H*W uint8, CHW) into C*H*W normalised
// float32 values in dst. It must not allocate or keep dst or src, and may
// draw from r only (r is nil when the caller promises no randomness is
// needed; Eval ignores it).
type Transform interface {
	Apply(dst []float32, src []uint8, c, h, w int, r *rand.Rand)
}

// Eval is the test transform: scale to [0,1] and normalise.
type Eval struct{ Norm Norm }

// Apply implements Transform.
func (t Eval) Apply(dst []float32, src []uint8, c, h, w int, _ *rand.Rand) {
	Normalize(dst, src, c, h, w, t.Norm)
}

// Train is the reference's training transform: random crop back to H×W
// after Pad pixels of zero padding of the raw image, horizontal flip with
// probability 1/2 (if Flip), normalise, then with probability CutoutProb a
// Cutout square of side CutoutLength (0 = no cutout).
type Train struct {
	Norm         Norm
	Pad          int
	Flip         bool
	CutoutLength int
	CutoutProb   float64
}

// StandardTrain is the reference configuration for the colour datasets:
// pad 4, flip, and cutout of length 16 with probability 1 when cutout is
// true. TrainTransform gives each dataset its own augmentation.
func StandardTrain(n Norm, cutout bool) Train {
	t := Train{Norm: n, Pad: 4, Flip: true}
	if cutout {
		t.CutoutLength, t.CutoutProb = 16, 1
	}
	return t
}

// Augment is a dataset's training augmentation before normalisation.
type Augment struct {
	Pad  int  // zero padding of the random crop back to H×W
	Flip bool // horizontal flip with probability 1/2
}

// AugmentFor returns the training augmentation of dataset name (see the
// package doc): pad 4 everywhere, and the horizontal flip everywhere but
// MNIST, whose digits a mirror turns into other shapes or none at all.
func AugmentFor(name string) (Augment, error) {
	switch name {
	case "cifar10", "cifar100", "svhn", "fashion-mnist":
		return Augment{Pad: 4, Flip: true}, nil
	case "mnist":
		return Augment{Pad: 4}, nil
	}
	return Augment{}, fmt.Errorf("data: unknown dataset %q (want one of %s)", name, strings.Join(Names, ", "))
}

// TrainTransform is dataset name's training transform: its AugmentFor and
// NormFor, and when cutout is true a cutout of length 16 with probability 1.
// Search and retraining both build theirs here.
func TrainTransform(name string, cutout bool) (Train, error) {
	a, err := AugmentFor(name)
	if err != nil {
		return Train{}, err
	}
	n, err := NormFor(name)
	if err != nil {
		return Train{}, err
	}
	t := StandardTrain(n, cutout)
	t.Pad, t.Flip = a.Pad, a.Flip
	return t, nil
}

// Apply implements Transform. The draws, in order: crop top, crop left
// (each uniform in [0, 2·Pad]), flip (Float64 < 0.5), cutout decision
// (Float64 < CutoutProb), cutout centre row, column — torchvision's order.
func (t Train) Apply(dst []float32, src []uint8, c, h, w int, r *rand.Rand) {
	oy := r.IntN(2*t.Pad + 1)
	ox := r.IntN(2*t.Pad + 1)
	flip := t.Flip && r.Float64() < 0.5
	CropFlipNormalize(dst, src, c, h, w, t.Pad, oy, ox, flip, t.Norm)
	if t.CutoutLength > 0 && r.Float64() < t.CutoutProb {
		cy, cx := r.IntN(h), r.IntN(w)
		Cutout(dst, c, h, w, cy, cx, t.CutoutLength)
	}
}

// checkShape panics on a programmer error in the buffers or constants.
func checkShape(fn string, dst []float32, src []uint8, c, h, w int, n Norm) {
	if len(dst) < c*h*w || (src != nil && len(src) < c*h*w) || len(n.Mean) != c || len(n.Std) != c {
		panic(fmt.Sprintf("data: %s: shape %d×%d×%d with dst %d, src %d, %d means, %d stds",
			fn, c, h, w, len(dst), len(src), len(n.Mean), len(n.Std)))
	}
}

// Normalize writes (src/255 - mean)/std per channel into dst.
func Normalize(dst []float32, src []uint8, c, h, w int, n Norm) {
	checkShape("Normalize", dst, src, c, h, w, n)
	hw := h * w
	for ch := 0; ch < c; ch++ {
		var lut [256]float32 // per-channel table: 256 divisions instead of hw
		fillLUT(&lut, n.Mean[ch], n.Std[ch])
		d, s := dst[ch*hw:(ch+1)*hw], src[ch*hw:(ch+1)*hw]
		for i, v := range s {
			d[i] = lut[v]
		}
	}
}

func fillLUT(lut *[256]float32, mean, std float32) {
	for v := range lut {
		lut[v] = (float32(v)/255 - mean) / std
	}
}

// CropFlipNormalize writes the H×W window at (oy, ox) of the image
// zero-padded by pad on every side, mirrored left-right if flip, normalised.
// Output pixel (y, x) is padded pixel (oy+y, ox+x), or (oy+y, ox+W-1-x)
// when flipped; oy and ox lie in [0, 2·pad].
func CropFlipNormalize(dst []float32, src []uint8, c, h, w, pad, oy, ox int, flip bool, n Norm) {
	checkShape("CropFlipNormalize", dst, src, c, h, w, n)
	if oy < 0 || ox < 0 || oy > 2*pad || ox > 2*pad {
		panic(fmt.Sprintf("data: CropFlipNormalize: offset (%d, %d) outside [0, %d]", oy, ox, 2*pad))
	}
	hw := h * w
	for ch := 0; ch < c; ch++ {
		var lut [256]float32
		fillLUT(&lut, n.Mean[ch], n.Std[ch])
		for y := 0; y < h; y++ {
			row := dst[ch*hw+y*w : ch*hw+y*w+w]
			sy := oy + y - pad
			if sy < 0 || sy >= h {
				for x := range row {
					row[x] = lut[0]
				}
				continue
			}
			srow := src[ch*hw+sy*w : ch*hw+sy*w+w]
			for x := range row {
				sx := ox + x - pad
				if flip {
					sx = ox + w - 1 - x - pad
				}
				if sx < 0 || sx >= w {
					row[x] = lut[0]
				} else {
					row[x] = lut[srow[sx]]
				}
			}
		}
	}
}

// Cutout zeroes the square [cy-l/2, cy+l/2) × [cx-l/2, cx+l/2), clipped to
// the image, on every channel (the reference's Cutout with centre (cy, cx)).
func Cutout(dst []float32, c, h, w, cy, cx, length int) {
	if len(dst) < c*h*w {
		panic(fmt.Sprintf("data: Cutout: dst %d for shape %d×%d×%d", len(dst), c, h, w))
	}
	y0, y1 := max(cy-length/2, 0), min(cy+length/2, h)
	x0, x1 := max(cx-length/2, 0), min(cx+length/2, w)
	for ch := 0; ch < c; ch++ {
		for y := y0; y < y1; y++ {
			row := dst[ch*h*w+y*w:]
			for x := x0; x < x1; x++ {
				row[x] = 0
			}
		}
	}
}
