package data

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSearchSplit(t *testing.T) {
	d := fixture(t, "fashion-mnist", true) // 200 images
	for _, c := range []struct{ size, train, valid int }{{0, 100, 100}, {200, 100, 100}, {51, 25, 26}, {1, 0, 1}} {
		tr, va, err := SearchSplit(d, c.size)
		if err != nil || tr.Len() != c.train || va.Len() != c.valid {
			t.Errorf("size %d: %d/%d %v, want %d/%d", c.size, tr.Len(), va.Len(), err, c.train, c.valid)
			continue
		}
		// First half then the rest, in file order.
		if tr.Len() > 0 && (tr.Index[0] != 0 || tr.Index[tr.Len()-1] != int32(c.train-1)) || va.Index[0] != int32(c.train) {
			t.Errorf("size %d: halves not in file order", c.size)
		}
	}
	for _, bad := range []int{-1, 201} {
		if _, _, err := SearchSplit(d, bad); err == nil {
			t.Errorf("train size %d accepted", bad)
		}
	}
}

func testLoader(t testing.TB, shuffle bool, batch int) *Loader {
	d := fixture(t, "cifar10", true) // 50 RGB images
	n, _ := NormFor("cifar10")
	return &Loader{Data: d.All(), BatchSize: batch, Shuffle: shuffle, Transform: StandardTrain(n, true), Seed: 7}
}

// collect returns every batch of a pass, cloned.
func collect(src Source, start, prefetch int) []*Batch {
	it := Iterate(src, start, prefetch)
	defer it.Close()
	var out []*Batch
	for b, ok := it.Next(); ok; b, ok = it.Next() {
		out = append(out, b.Clone())
	}
	return out
}

func TestEpochCoverage(t *testing.T) {
	l := testLoader(t, true, 16)
	bs := collect(l.Epoch(0), 0, 0)
	if l.Steps() != 4 || len(bs) != 4 || bs[3].N != 2 || len(bs[3].X) != 2*3072 || len(bs[3].Y) != 2 {
		t.Fatalf("steps %d, batches %d, last N %d", l.Steps(), len(bs), bs[len(bs)-1].N)
	}
	seen := map[int32]bool{}
	for _, b := range bs {
		for j, idx := range b.Index {
			if seen[idx] {
				t.Fatalf("image %d twice", idx)
			}
			seen[idx] = true
			if b.Y[j] != int32(l.Data.D.Labels[idx]) {
				t.Fatalf("label of %d", idx)
			}
		}
	}
	if len(seen) != 50 {
		t.Errorf("%d distinct images, want 50", len(seen))
	}
}

func TestDeterminism(t *testing.T) {
	a := collect(testLoader(t, true, 16).Epoch(3), 0, 0)
	b := collect(testLoader(t, true, 16).Epoch(3), 0, 0) // a "resumed" run
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and epoch gave different batches")
	}
	c := collect(testLoader(t, true, 16).Epoch(4), 0, 0)
	if reflect.DeepEqual(a[0].Index, c[0].Index) {
		t.Error("epochs 3 and 4 have the same order")
	}
	l := testLoader(t, true, 16)
	l.Seed = 8
	if reflect.DeepEqual(a[0].Index, collect(l.Epoch(3), 0, 0)[0].Index) {
		t.Error("seeds 7 and 8 have the same order")
	}
	l = testLoader(t, true, 16)
	l.Stream = 1
	if reflect.DeepEqual(a[0].Index, collect(l.Epoch(3), 0, 0)[0].Index) {
		t.Error("streams 0 and 1 have the same order")
	}
	// Resume mid-epoch: starting at step 2 gives the tail of the full pass.
	if !reflect.DeepEqual(a[2:], collect(testLoader(t, true, 16).Epoch(3), 2, 0)) {
		t.Error("starting at step 2 differs from the full pass")
	}
	// Augmentation follows the image's position, not the batch size.
	d := collect(testLoader(t, true, 5).Epoch(3), 0, 0)
	if !reflect.DeepEqual(a[0].X[4*3072:5*3072], d[0].X[4*3072:]) || !reflect.DeepEqual(a[1].X[:3072], d[3].X[3072:2*3072]) {
		t.Error("augmentation depends on the batch size")
	}
}

func TestEvalOrder(t *testing.T) {
	l := testLoader(t, false, 16)
	l.Data = l.Data.D.Range(10, 50)
	n, _ := NormFor("cifar10")
	l.Transform = Eval{Norm: n}
	bs := collect(l.Epoch(5), 0, 0)
	want := make([]float32, 3072)
	k := int32(10)
	for _, b := range bs {
		for j, idx := range b.Index {
			if idx != k {
				t.Fatalf("image %d at position of %d", idx, k)
			}
			Normalize(want, l.Data.D.Image(int(idx)), 3, 32, 32, n)
			equalF(t, "eval batch", b.X[j*3072:(j+1)*3072], want)
			k++
		}
	}
	// Unshuffled with the train transform: order fixed, augmentation varies by epoch.
	l.Transform = StandardTrain(n, false)
	x, y := collect(l.Epoch(0), 0, 0), collect(l.Epoch(1), 0, 0)
	if !reflect.DeepEqual(x[0].Index, y[0].Index) || reflect.DeepEqual(x[0].X, y[0].X) {
		t.Error("unshuffled train-transform pass: want same order, different augmentation")
	}
}

func TestDraws(t *testing.T) {
	l := testLoader(t, true, 10)
	_, valid, _ := SearchSplit(l.Data.D, 0) // images 25..49
	l.Data = valid
	var b Batch
	l.RandomBatch(2, 9, &b)
	if !reflect.DeepEqual(&b, collect(l.Draws(2, 20), 9, 0)[0]) {
		t.Error("RandomBatch differs from Draws")
	}
	counts := map[int32]int{}
	for step := 0; step < 2000; step++ {
		l.RandomBatch(0, step, &b)
		seen := map[int32]bool{}
		for _, idx := range b.Index {
			if idx < 25 || idx >= 50 || seen[idx] {
				t.Fatalf("step %d: index %d repeated or outside the valid half", step, idx)
			}
			seen[idx] = true
			counts[idx]++
		}
	}
	for idx, c := range counts { // expected 800 each (2000·10/25)
		if c < 650 || c > 950 {
			t.Errorf("image %d drawn %d times, want about 800", idx, c)
		}
	}
	var c Batch
	l.RandomBatch(0, 1, &b)
	l.RandomBatch(0, 2, &c)
	if reflect.DeepEqual(b.Index, c.Index) {
		t.Error("steps 1 and 2 drew the same images")
	}
}

func TestSample(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]int32, 5)
	sample(out, 5, r) // k = n: a permutation
	seen := map[int32]bool{}
	for _, v := range out {
		seen[v] = true
	}
	if len(seen) != 5 {
		t.Errorf("not a permutation: %v", out)
	}
}

func TestPipelineMatchesSync(t *testing.T) {
	l := testLoader(t, true, 16)
	want := collect(l.Epoch(1), 0, 0)
	for _, depth := range []int{1, 2, 4} {
		if got := collect(l.Epoch(1), 0, depth); !reflect.DeepEqual(got, want) {
			t.Errorf("prefetch %d differs from synchronous", depth)
		}
	}
	if got := collect(l.Draws(1, 7), 3, 2); !reflect.DeepEqual(got, collect(l.Draws(1, 7), 3, 0)) || len(got) != 4 {
		t.Errorf("prefetched draws differ (%d batches)", len(got))
	}
}

func TestPipelineClose(t *testing.T) {
	l := testLoader(t, true, 4)
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		it := Iterate(l.Epoch(i), 0, 2)
		it.Next()
		it.Close()
		it.Close()
		if _, ok := it.Next(); ok && i < 0 {
			t.Fatal("unreachable")
		}
	}
	it := Iterate(l.Epoch(0), 0, 3) // closed without a single Next
	it.Close()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after closing, %d before", n, before)
	}
}

func TestBufferReuse(t *testing.T) {
	l := testLoader(t, true, 16)
	it := Iterate(l.Epoch(0), 0, 0)
	defer it.Close()
	a, _ := it.Next()
	b, _ := it.Next()
	if a != b {
		t.Error("synchronous iterator should reuse its batch")
	}
	e := l.Epoch(0)
	if allocs := testing.AllocsPerRun(20, func() { e.Fill(1, b) }); allocs != 0 {
		t.Errorf("%v allocations per batch, want 0 once the buffers exist", allocs)
	}
}

// benchData is 1024 random 3×32×32 images.
func benchData() *Dataset {
	r := rand.New(rand.NewPCG(1, 1))
	d := &Dataset{Name: "cifar10", N: 1024, C: 3, H: 32, W: 32, Classes: 10,
		Pixels: make([]uint8, 1024*3072), Labels: make([]uint8, 1024)}
	for i := range d.Pixels {
		d.Pixels[i] = uint8(r.Uint32())
	}
	return d
}

func benchmarkEpoch(b *testing.B, prefetch int) {
	d := benchData()
	n, _ := NormFor("cifar10")
	l := &Loader{Data: d.All(), BatchSize: 64, Shuffle: true, Transform: StandardTrain(n, true), Seed: 1}
	b.ResetTimer()
	images := 0
	for i := 0; i < b.N; i++ {
		it := Iterate(l.Epoch(i), 0, prefetch)
		for bt, ok := it.Next(); ok; bt, ok = it.Next() {
			images += bt.N
		}
		it.Close()
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkEpochSync measures batch production: crop, flip, normalise and
// cutout of 1024 CIFAR-sized images in batches of 64.
func BenchmarkEpochSync(b *testing.B) { benchmarkEpoch(b, 0) }

// BenchmarkEpochPrefetch is the same through the background pipeline.
func BenchmarkEpochPrefetch(b *testing.B) { benchmarkEpoch(b, 2) }

func TestInspect(t *testing.T) {
	s, err := Inspect("cifar10", filepath.Join("testdata", "cifar10"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Train.Images != 50 || s.Test.Images != 20 || s.Shape != [3]int{3, 32, 32} || s.Classes != 10 {
		t.Fatalf("summary %+v", s)
	}
	total := 0
	for _, c := range s.Train.ClassCounts {
		total += c
	}
	// G = 255 - R in the fixtures, so their means add to 1 and stds agree.
	if total != 50 || math.Abs(s.Train.Mean[0]+s.Train.Mean[1]-1) > 1e-12 || math.Abs(s.Train.Std[0]-s.Train.Std[1]) > 1e-12 {
		t.Errorf("counts %v, mean %v, std %v", s.Train.ClassCounts, s.Train.Mean, s.Train.Std)
	}
	js, err := json.Marshal(s)
	if err != nil || !strings.Contains(string(js), `"class_counts":[`) {
		t.Errorf("JSON %s: %v", js, err)
	}
	if _, err := Inspect("cifar10", "testdata/nowhere"); err == nil {
		t.Error("missing directory accepted")
	}
}
