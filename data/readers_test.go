package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture loads a testdata dataset or fails the test.
func fixture(t testing.TB, name string, train bool) *Dataset {
	t.Helper()
	d, err := Load(name, filepath.Join("testdata", name), train)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Known pixels of the real Fashion-MNIST files (checked with Python):
// training image, row, column, value.
var knownGrey = []struct {
	img, r, c int
	v         uint8
}{
	{0, 10, 5, 0}, {0, 20, 14, 240}, {1, 5, 20, 222}, {7, 14, 3, 212}, {49, 12, 12, 217},
}

var knownTrainLabels = []uint8{9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9}

func TestIDXFixture(t *testing.T) {
	tr := fixture(t, "fashion-mnist", true)  // gzip files
	te := fixture(t, "fashion-mnist", false) // plain files
	if tr.N != fixTrain || te.N != fixTest || tr.C != 1 || tr.H != 28 || tr.W != 28 || tr.Classes != 10 {
		t.Fatalf("shapes: train %d test %d, %d×%d×%d", tr.N, te.N, tr.C, tr.H, tr.W)
	}
	if tr.Name != "fashion-mnist" {
		t.Errorf("name %q", tr.Name)
	}
	if !bytes.Equal(tr.Labels[:12], knownTrainLabels) {
		t.Errorf("labels %v, want %v", tr.Labels[:12], knownTrainLabels)
	}
	for _, k := range knownGrey {
		if got := tr.Pixels[k.img*784+k.r*28+k.c]; got != k.v {
			t.Errorf("train image %d (%d,%d) = %d, want %d", k.img, k.r, k.c, got, k.v)
		}
	}
	if got := te.Pixels[0*784+20*28+14]; got != 195 || te.Pixels[3*784+10*28+10] != 135 || te.Labels[2] != 1 {
		t.Errorf("test pixels/labels wrong: %d %d %d", got, te.Pixels[3*784+10*28+10], te.Labels[2])
	}
}

// checkRGB compares every pixel of d with the fixture derivation of grey,
// and for a training split the known pixels at their offsets.
func checkRGB(t *testing.T, d, grey *Dataset, n int) {
	t.Helper()
	if d.N != n || d.C != 3 || d.H != 32 || d.W != 32 {
		t.Fatalf("%s: got %d images %d×%d×%d, want %d of 3×32×32", d.Name, d.N, d.C, d.H, d.W, n)
	}
	for i := 0; i < n; i++ {
		if !bytes.Equal(d.Image(i), fixtureRGB(grey.Image(i))) {
			t.Fatalf("%s: image %d pixels differ", d.Name, i)
		}
	}
	// Known offsets: grey (r, c) sits at R (r+2, c+2), G = 255-R, B at (c+2, r+2).
	for _, k := range knownGrey {
		if k.img >= n || grey.N != fixTrain {
			continue
		}
		img := d.Image(k.img)
		r, g, b := img[(k.r+2)*32+k.c+2], img[1024+(k.r+2)*32+k.c+2], img[2048+(k.c+2)*32+k.r+2]
		if r != k.v || g != 255-k.v || b != k.v {
			t.Errorf("%s: image %d (%d,%d): RGB %d %d %d, want %d %d %d", d.Name, k.img, k.r, k.c, r, g, b, k.v, 255-k.v, k.v)
		}
	}
}

func TestCIFAR10Fixture(t *testing.T) {
	gtr, gte := fixture(t, "fashion-mnist", true), fixture(t, "fashion-mnist", false)
	tr, te := fixture(t, "cifar10", true), fixture(t, "cifar10", false)
	checkRGB(t, tr, gtr, 5*fixC10) // batches 1..5 concatenated in order
	checkRGB(t, te, gte, fixC10T)
	if !bytes.Equal(tr.Labels, gtr.Labels[:5*fixC10]) || !bytes.Equal(te.Labels, gte.Labels[:fixC10T]) {
		t.Error("labels differ")
	}
}

func TestCIFAR100Fixture(t *testing.T) {
	gtr := fixture(t, "fashion-mnist", true)
	tr := fixture(t, "cifar100", true)
	checkRGB(t, tr, gtr, fixC100)
	if tr.Classes != 100 || tr.Labels[0] != 90 || tr.Labels[1] != 1 || tr.Labels[11] != 91 {
		t.Errorf("fine labels: %v", tr.Labels[:12])
	}
	for i, l := range tr.Labels {
		if _, fine := fixtureC100(gtr.Labels[i], i); l != fine {
			t.Fatalf("record %d: label %d, want fine %d", i, l, fine)
		}
	}
	if te := fixture(t, "cifar100", false); te.N != fixC100T {
		t.Errorf("test N %d", te.N)
	}
}

func TestSVHNFixture(t *testing.T) {
	gtr, gte := fixture(t, "fashion-mnist", true), fixture(t, "fashion-mnist", false)
	tr := fixture(t, "svhn", true)  // -v7 compressed, y double
	te := fixture(t, "svhn", false) // -v6 plain, y uint8
	checkRGB(t, tr, gtr, fixSVHN)
	checkRGB(t, te, gte, fixSVHNT)
	// Fashion label 0 was written as 10 and must come back as 0.
	if !bytes.Equal(tr.Labels, gtr.Labels[:fixSVHN]) || !bytes.Equal(te.Labels, gte.Labels[:fixSVHNT]) {
		t.Errorf("labels %v, want %v", tr.Labels[:12], gtr.Labels[:12])
	}
	if tr.Labels[1] != 0 {
		t.Errorf("10 should map to 0, got %d", tr.Labels[1])
	}
	for _, f := range []string{"one_v6.mat", "one_v7.mat"} {
		d := parseFile(t, filepath.Join("testdata", "svhn", f), parseSVHN)
		if d.N != 1 || !bytes.Equal(d.Image(0), fixtureRGB(gte.Image(0))) || d.Labels[0] != gte.Labels[0] {
			t.Errorf("%s: single image wrong (N=%d)", f, d.N)
		}
	}
}

func parseFile(t *testing.T, file string, parse func(string, []byte) (*Dataset, error)) *Dataset {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := parse(file, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A test-only MAT Level-5 writer for layouts Octave does not produce
// (big-endian, y stored as double, broken files).
type tvar struct {
	name  string
	class uint8
	flags uint32 // extra array-flag bits (0x800 = complex)
	dims  []int32
	typ   uint32
	data  []byte
}

// order is what the writer needs of a byte order.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func matElem(o order, typ uint32, data []byte) []byte {
	if len(data) <= 4 && typ != miMATRIX && typ != miCOMPRESSED {
		b := o.AppendUint32(nil, uint32(len(data))<<16|typ)
		return append(b, append(data, make([]byte, 4-len(data))...)...)
	}
	b := o.AppendUint32(nil, typ)
	b = o.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	if typ != miCOMPRESSED {
		b = append(b, make([]byte, (8-len(data)%8)%8)...)
	}
	return b
}

func matBytes(o order, compress bool, vars ...tvar) []byte {
	head := make([]byte, 128)
	copy(head, "MATLAB 5.0 MAT-file, test writer")
	for i := 116; i < 124; i++ {
		head[i] = ' '
	}
	o.PutUint16(head[124:], 0x0100)
	o.PutUint16(head[126:], 'M'<<8|'I')
	b := head
	for _, v := range vars {
		flags := o.AppendUint32(nil, uint32(v.class)|v.flags)
		flags = o.AppendUint32(flags, 0)
		var dims []byte
		for _, d := range v.dims {
			dims = o.AppendUint32(dims, uint32(d))
		}
		body := matElem(o, miUINT32, flags)
		body = append(body, matElem(o, miINT32, dims)...)
		body = append(body, matElem(o, miINT8, []byte(v.name))...)
		body = append(body, matElem(o, v.typ, v.data)...)
		m := matElem(o, miMATRIX, body)
		if compress {
			var z bytes.Buffer
			w := zlib.NewWriter(&z)
			w.Write(m)
			w.Close()
			m = matElem(o, miCOMPRESSED, z.Bytes())
		}
		b = append(b, m...)
	}
	return b
}

// svhnVars builds X and y (labels stored as doubles) from a dataset.
func svhnVars(o order, d *Dataset, n int) (x, y tvar) {
	raw, lab := svhnRaw(d, n)
	var yd []byte
	for _, l := range lab {
		yd = o.AppendUint64(yd, math.Float64bits(float64(l)))
	}
	return tvar{name: "X", class: mxUINT8, dims: []int32{32, 32, 3, int32(n)}, typ: miUINT8, data: raw},
		tvar{name: "y", class: mxDOUBLE, dims: []int32{int32(n), 1}, typ: miDOUBLE, data: yd}
}

func TestSVHNWriterLayouts(t *testing.T) {
	g := fixture(t, "fashion-mnist", true)
	for _, o := range []order{binary.LittleEndian, binary.BigEndian} {
		for _, compress := range []bool{false, true} {
			x, y := svhnVars(o, g, 5)
			d, err := parseSVHN("w.mat", matBytes(o, compress, y, x)) // y first: order must not matter
			if err != nil {
				t.Fatalf("%v compress=%v: %v", o, compress, err)
			}
			checkRGB(t, d, g, 5)
			if !bytes.Equal(d.Labels, g.Labels[:5]) {
				t.Errorf("%v compress=%v: labels %v", o, compress, d.Labels)
			}
		}
	}
	// MATLAB stores a double array of small integers as miUINT8.
	x, y := svhnVars(binary.LittleEndian, g, 5)
	_, y.data = svhnRaw(g, 5)
	y.typ = miUINT8
	d, err := parseSVHN("w.mat", matBytes(binary.LittleEndian, true, x, y))
	if err != nil || !bytes.Equal(d.Labels, g.Labels[:5]) {
		t.Errorf("double stored as uint8: %v", err)
	}
}

func TestReaderErrors(t *testing.T) {
	le := binary.LittleEndian
	g := fixture(t, "fashion-mnist", true)
	x, y := svhnVars(le, g, 2)
	withLabel := func(v float64) tvar {
		y := y
		y.data = le.AppendUint64(le.AppendUint64(nil, math.Float64bits(1)), math.Float64bits(v))
		return y
	}
	good := matBytes(le, false, x, y)
	rec := cifarBytes(g, 0, 2, false)
	bad10 := append([]byte{10}, rec[1:3073]...)
	bad100 := append([]byte{0, 100}, rec[1:3073]...)
	img := idxImagesBytes(g.Pixels[:2*784], 2, 28, 28)
	lbl := idxLabelsBytes(g.Labels[:2])
	badMagic := append([]byte{0, 0, 8, 4}, img[4:]...)

	xDouble := x
	xDouble.class = mxDOUBLE
	xDims := x
	xDims.dims = []int32{32, 32, 1, 6}
	yDims := y
	yDims.dims = []int32{1, 1}
	yComplex := y
	yComplex.flags = 0x800
	zlibBad := matElem(le, miCOMPRESSED, []byte("not zlib at all"))

	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"cifar truncated", parses(parseCIFAR10, rec[:len(rec)-5]), "f.bin: size 6141 is not a multiple of the 3073-byte record"},
		{"cifar empty", parses(parseCIFAR10, nil), "f.bin: empty file"},
		{"cifar100 record length", parses(parseCIFAR100, rec), "not a multiple of the 3074-byte record"},
		{"cifar10 label", parses(parseCIFAR10, bad10), "label 10 of record 0 is out of range [0,10)"},
		{"cifar100 label", parses(parseCIFAR100, bad100), "label 100 of record 0 is out of range [0,100)"},
		{"idx magic", parsesIDX(badMagic, lbl), "f.bin: bad idx magic 2052 (want 2051)"},
		{"idx label magic", parsesIDX(img, img), "l.bin: bad idx magic 2051 (want 2049)"},
		{"idx truncated", parsesIDX(img[:len(img)-1], lbl), "truncated: header promises 1568 data bytes, file has 1567"},
		{"idx extra", parsesIDX(append(img, 0), lbl), "extra data after the 1568 bytes"},
		{"idx short header", parsesIDX(img[:10], lbl), "truncated idx header"},
		{"idx count", parsesIDX(img, idxLabelsBytes(g.Labels[:3])), "l.bin: 3 labels for 2 images in f.bin"},
		{"idx label", parsesIDX(img, idxLabelsBytes([]uint8{1, 10})), "label 10 of record 1 is out of range [0,10)"},
		{"idx gzip", parsesIDX([]byte{0x1f, 0x8b, 1, 2, 3}, lbl), "bad gzip header"},
		{"mat short", parses(parseSVHN, good[:100]), "shorter than the 128-byte header"},
		{"mat endian", parses(parseSVHN, append(append([]byte{}, good[:126]...), 'X', 'X')), `endian indicator "XX"`},
		{"mat hdf5", parses(parseSVHN, append([]byte("MATLAB 7.3 MAT-file"), good[19:]...)), "MAT v7.3 (HDF5) is not supported"},
		{"mat truncated", parses(parseSVHN, good[:len(good)-40]), "truncated: data element of type 14"},
		{"mat no y", parses(parseSVHN, matBytes(le, true, x)), "lacks variable X or y (has X)"},
		{"mat no vars", parses(parseSVHN, good[:128]), "lacks variable X or y (has none)"},
		{"mat X class", parses(parseSVHN, matBytes(le, false, xDouble, y)), "X is double (storage type 2), want real uint8"},
		{"mat X dims", parses(parseSVHN, matBytes(le, false, xDims, y)), "X has dimensions [32 32 1 6], want 32×32×3×N"},
		{"mat y dims", parses(parseSVHN, matBytes(le, false, x, yDims)), "y has dimensions [1 1], want 2×1"},
		{"mat y complex", parses(parseSVHN, matBytes(le, false, x, yComplex)), "y is double, want a real numeric"},
		{"mat label 0", parses(parseSVHN, matBytes(le, false, x, withLabel(0))), "label 0 of image 1 is out of range 1..10"},
		{"mat label 11", parses(parseSVHN, matBytes(le, true, x, withLabel(11))), "label 11 of image 1"},
		{"mat label 2.5", parses(parseSVHN, matBytes(le, false, x, withLabel(2.5))), "label 2.5 of image 1"},
		{"mat zlib", parses(parseSVHN, append(append([]byte{}, good[:128]...), zlibBad...)), "bad compressed element"},
		{"missing cifar10", loads("cifar10"), "data_batch_1.bin: file not found"},
		{"missing cifar100", loads("cifar100"), "train.bin: file not found"},
		{"missing svhn", loads("svhn"), "train_32x32.mat: file not found"},
		{"missing idx", loads("mnist"), "train-images-idx3-ubyte: file not found (nor train-images-idx3-ubyte.gz)"},
		{"unknown", loads("imagenet"), `unknown dataset "imagenet"`},
		{"no dir", func() error { _, err := Load("cifar10", "", true); return err }, "no default directory"},
	}
	for _, c := range cases {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// A directory where a file should be.
	dir0 := t.TempDir()
	os.Mkdir(filepath.Join(dir0, "test.bin"), 0o755)
	if _, err := Load("cifar100", dir0, false); err == nil || !strings.Contains(err.Error(), "test.bin: is a directory") {
		t.Errorf("directory as file: %v", err)
	}
	// One partly broken training batch makes the whole load fail.
	dir := t.TempDir()
	for _, f := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin"} {
		os.WriteFile(filepath.Join(dir, f), rec, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "data_batch_5.bin"), rec[:100], 0o644)
	if _, err := Load("cifar10", dir, true); err == nil || !strings.Contains(err.Error(), "data_batch_5.bin: size 100") {
		t.Errorf("broken batch 5: %v", err)
	}
}

func parses(parse func(string, []byte) (*Dataset, error), b []byte) func() error {
	return func() error {
		name := "f.bin"
		_, err := parse(name, b)
		return err
	}
}

func parsesIDX(img, lbl []byte) func() error {
	return func() error { _, err := parseIDX("f.bin", img, "l.bin", lbl); return err }
}

func loads(name string) func() error {
	return func() error { _, err := Load(name, "testdata/nowhere", true); return err }
}

// TestRealFashionMNIST checks the installed dataset and its constants.
func TestRealFashionMNIST(t *testing.T) {
	if _, err := os.Stat(DefaultDir("fashion-mnist")); err != nil {
		t.Skip("Fashion-MNIST not installed")
	}
	if testing.Short() {
		t.Skip("short")
	}
	s, err := Inspect("fashion-mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Train.Images != 60000 || s.Test.Images != 10000 || s.Shape != [3]int{1, 28, 28} {
		t.Fatalf("summary %+v", s)
	}
	for k, n := range s.Train.ClassCounts {
		if n != 6000 || s.Test.ClassCounts[k] != 1000 {
			t.Errorf("class %d: %d / %d images", k, n, s.Test.ClassCounts[k])
		}
	}
	if math.Abs(s.Train.Mean[0]-float64(s.Norm.Mean[0])) > 1e-7 || math.Abs(s.Train.Std[0]-float64(s.Norm.Std[0])) > 1e-7 {
		t.Errorf("constants %v/%v differ from measured %v/%v", s.Norm.Mean, s.Norm.Std, s.Train.Mean, s.Train.Std)
	}
	d, _ := Load("fashion-mnist", "", true)
	for _, k := range knownGrey {
		if got := d.Pixels[k.img*784+k.r*28+k.c]; got != k.v {
			t.Errorf("image %d (%d,%d) = %d, want %d", k.img, k.r, k.c, got, k.v)
		}
	}
}
