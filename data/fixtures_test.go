package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Fixtures under testdata/ are built from real Fashion-MNIST images: each
// 28×28 grey image g becomes a 32×32 RGB image by zero-padding 2 pixels
// (p), with R = p, G = 255-p, B = p transposed, so channels, rows and
// columns are all distinguishable. Regenerate with
//
//	RDARTS_GEN_FIXTURES=1 go test -run TestGenerateFixtures ./data/
//	(cd data/testdata && octave-cli gen_mat.m)
//	RDARTS_GEN_FIXTURES=1 go test -run TestGenerateFixtures ./data/  # again: fuzz seeds from the .mat files
//	rm -r data/testdata/svhn_src
const (
	fixTrain = 200 // fashion-mnist train images in the idx fixture
	fixTest  = 50
	fixC10   = 10 // records per CIFAR-10 training batch file (5 files)
	fixC10T  = 20
	fixC100  = 40
	fixC100T = 10
	fixSVHN  = 40
	fixSVHNT = 20
)

// fixtureRGB derives the 32×32 RGB (CHW) fixture image from a 28×28 one.
func fixtureRGB(g []uint8) []uint8 {
	var p [32][32]uint8
	for r := 0; r < 28; r++ {
		for c := 0; c < 28; c++ {
			p[r+2][c+2] = g[r*28+c]
		}
	}
	out := make([]uint8, cifarPixels)
	for r := 0; r < 32; r++ {
		for c := 0; c < 32; c++ {
			out[r*32+c] = p[r][c]
			out[1024+r*32+c] = 255 - p[r][c]
			out[2048+r*32+c] = p[c][r]
		}
	}
	return out
}

// fixtureC100 gives the (coarse, fine) labels of CIFAR-100 fixture record i.
func fixtureC100(label uint8, i int) (uint8, uint8) {
	return label, label*10 + uint8(i%10)
}

// svhnLabel is the SVHN label of a digit: 10 for 0.
func svhnLabel(l uint8) uint8 {
	if l == 0 {
		return 10
	}
	return l
}

func idxImagesBytes(imgs []uint8, n, h, w int) []byte {
	b := binary.BigEndian.AppendUint32(nil, idxImageMagic)
	for _, v := range []int{n, h, w} {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return append(b, imgs...)
}

func idxLabelsBytes(labels []uint8) []byte {
	b := binary.BigEndian.AppendUint32(nil, idxLabelMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(len(labels)))
	return append(b, labels...)
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if _, err := z.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cifarBytes writes records of images [lo, hi) of d in CIFAR layout.
func cifarBytes(d *Dataset, lo, hi int, c100 bool) []byte {
	var b []byte
	for i := lo; i < hi; i++ {
		if c100 {
			coarse, fine := fixtureC100(d.Labels[i], i)
			b = append(b, coarse, fine)
		} else {
			b = append(b, d.Labels[i])
		}
		b = append(b, fixtureRGB(d.Image(i))...)
	}
	return b
}

// svhnRaw writes X column-major (r + 32c + 1024ch + 3072n) and y for gen_mat.m.
func svhnRaw(d *Dataset, n int) (x, y []byte) {
	x = make([]byte, n*cifarPixels)
	for i := 0; i < n; i++ {
		img := fixtureRGB(d.Image(i))
		for ch := 0; ch < 3; ch++ {
			for r := 0; r < 32; r++ {
				for c := 0; c < 32; c++ {
					x[r+32*c+1024*ch+3072*i] = img[ch*1024+r*32+c]
				}
			}
		}
		y = append(y, svhnLabel(d.Labels[i]))
	}
	return x, y
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSeed writes one fuzz seed-corpus file in the go test fuzz v1 format.
func writeSeed(t testing.TB, target, name string, args ...[]byte) {
	s := "go test fuzz v1\n"
	for _, a := range args {
		s += "[]byte(" + strconv.Quote(string(a)) + ")\n"
	}
	write(t, filepath.Join("testdata", "fuzz", target, name), []byte(s))
}

func TestGenerateFixtures(t *testing.T) {
	if os.Getenv("RDARTS_GEN_FIXTURES") == "" {
		t.Skip("set RDARTS_GEN_FIXTURES=1 to regenerate testdata from the installed Fashion-MNIST")
	}
	tr, err := Load("fashion-mnist", "", true)
	if err != nil {
		t.Fatal(err)
	}
	te, err := Load("fashion-mnist", "", false)
	if err != nil {
		t.Fatal(err)
	}
	dir := "testdata"
	fm := filepath.Join(dir, "fashion-mnist")
	write(t, filepath.Join(fm, "train-images-idx3-ubyte.gz"), gz(t, idxImagesBytes(tr.Pixels[:fixTrain*784], fixTrain, 28, 28)))
	write(t, filepath.Join(fm, "train-labels-idx1-ubyte.gz"), gz(t, idxLabelsBytes(tr.Labels[:fixTrain])))
	write(t, filepath.Join(fm, "t10k-images-idx3-ubyte"), idxImagesBytes(te.Pixels[:fixTest*784], fixTest, 28, 28))
	write(t, filepath.Join(fm, "t10k-labels-idx1-ubyte"), idxLabelsBytes(te.Labels[:fixTest]))

	for k := 0; k < 5; k++ {
		write(t, filepath.Join(dir, "cifar10", fmt.Sprintf("data_batch_%d.bin", k+1)), cifarBytes(tr, k*fixC10, (k+1)*fixC10, false))
	}
	write(t, filepath.Join(dir, "cifar10", "test_batch.bin"), cifarBytes(te, 0, fixC10T, false))
	write(t, filepath.Join(dir, "cifar100", "train.bin"), cifarBytes(tr, 0, fixC100, true))
	write(t, filepath.Join(dir, "cifar100", "test.bin"), cifarBytes(te, 0, fixC100T, true))

	x, y := svhnRaw(tr, fixSVHN)
	write(t, filepath.Join(dir, "svhn_src", "train_X.raw"), x)
	write(t, filepath.Join(dir, "svhn_src", "train_y.raw"), y)
	x, y = svhnRaw(te, fixSVHNT)
	write(t, filepath.Join(dir, "svhn_src", "test_X.raw"), x)
	write(t, filepath.Join(dir, "svhn_src", "test_y.raw"), y)

	// Fuzz seeds: small valid inputs of each format.
	writeSeed(t, "FuzzCIFAR10", "two-records", cifarBytes(tr, 0, 2, false))
	writeSeed(t, "FuzzCIFAR100", "two-records", cifarBytes(tr, 0, 2, true))
	writeSeed(t, "FuzzIDX", "plain-3", idxImagesBytes(tr.Pixels[:3*784], 3, 28, 28), idxLabelsBytes(tr.Labels[:3]))
	writeSeed(t, "FuzzIDX", "gzip-2", gz(t, idxImagesBytes(tr.Pixels[:2*784], 2, 28, 28)), gz(t, idxLabelsBytes(tr.Labels[:2])))
	for _, f := range []string{"one_v6.mat", "one_v7.mat"} { // written by gen_mat.m
		if b, err := os.ReadFile(filepath.Join(dir, "svhn", f)); err == nil {
			writeSeed(t, "FuzzSVHN", f, b)
		}
	}
	writeSeed(t, "FuzzIDX", "tiny-2x2", idxImagesBytes([]uint8{0, 1, 2, 3}, 1, 2, 2), idxLabelsBytes([]uint8{7}))
}
