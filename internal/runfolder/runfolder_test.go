package runfolder

import (
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
