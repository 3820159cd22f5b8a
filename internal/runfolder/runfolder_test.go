package runfolder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGobAndJSONL(t *testing.T) {
	dir := t.TempDir()
	type st struct{ A []float32 }
	p := filepath.Join(dir, "c.gob")
	if err := SaveGob(p, st{A: []float32{1, 2}}); err != nil {
		t.Fatal(err)
	}
	var got st
	if err := LoadGob(p, "test", &got); err != nil || len(got.A) != 2 || got.A[1] != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	os.WriteFile(p, []byte("junk"), 0o644)
	if err := LoadGob(p, "test", &got); err == nil || !strings.Contains(err.Error(), "not an rdarts test checkpoint") {
		t.Errorf("damaged checkpoint: %v", err)
	}
	j := filepath.Join(dir, "m.jsonl")
	if err := WriteJSONL(j, []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := AppendJSONL(j, 3); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(j)
	if string(b) != "1\n2\n3\n" {
		t.Errorf("jsonl %q", b)
	}
}

func TestSums(t *testing.T) {
	var s Sums
	s.Add(2, 3, 4, 1) // 4 images, mean loss 2
	s.Add(1, 1, 4, 1) // 4 images, mean loss 1
	if s.MeanLoss() != 1.5 || s.Accuracy() != 50 || s.Seconds != 2 {
		t.Errorf("%+v: loss %v acc %v", s, s.MeanLoss(), s.Accuracy())
	}
}

func TestStepsBudgetAndResume(t *testing.T) {
	pos, budget := 0, Budget(3)
	var sums Sums
	var seen []int
	step := func(i int) (float64, int, int, error) { seen = append(seen, i); return 1, 1, 2, nil }
	loop := Steps{N: 5, Pos: &pos, Sums: &sums, Budget: &budget}
	if stopped, err := loop.Run(context.Background(), step); !stopped || err != nil || pos != 3 {
		t.Fatalf("budget 3: stopped %v err %v pos %d", stopped, err, pos)
	}
	budget = Budget(0)
	if stopped, err := loop.Run(context.Background(), step); stopped || err != nil || pos != 5 {
		t.Fatalf("resume: stopped %v err %v pos %d", stopped, err, pos)
	}
	if len(seen) != 5 || seen[3] != 3 || sums.N != 10 || sums.Accuracy() != 50 {
		t.Errorf("steps %v sums %+v", seen, sums)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pos = 0
	if stopped, _ := loop.Run(ctx, step); !stopped || pos != 0 {
		t.Errorf("cancelled context ran steps: pos %d", pos)
	}
	pos = 0
	boom := errors.New("boom")
	if _, err := loop.Run(context.Background(), func(int) (float64, int, int, error) { return 0, 0, 1, boom }); err != boom || pos != 0 {
		t.Errorf("error %v, pos %d", err, pos)
	}
}
