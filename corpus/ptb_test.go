package corpus

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func spell(v *Vocab, ids []int32) string {
	var ws []string
	for _, id := range ids {
		ws = append(ws, v.Word(id))
	}
	return strings.Join(ws, " ")
}

func TestLoad(t *testing.T) {
	c, err := Load("testdata/good")
	if err != nil {
		t.Fatal(err)
	}
	// Ids in order of first appearance; <eos> after each line, a lone <eos>
	// for the blank line, none missing for a file without a final newline.
	if got, want := spell(c.Vocab, c.Train), "the cat sat on the mat <eos> a <unk> dog sat <eos> <eos> the N cats <eos>"; got != want {
		t.Errorf("train %q\nwant  %q", got, want)
	}
	if got := c.Train[:7]; !slices.Equal(got, []int32{0, 1, 2, 3, 0, 4, 5}) {
		t.Errorf("train ids %v", got)
	}
	if got, want := spell(c.Vocab, c.Valid), "the dog sat <eos>"; got != want {
		t.Errorf("valid %q, want %q", got, want)
	}
	if got, want := spell(c.Vocab, c.Test), "a cat <eos> the mat <eos>"; got != want {
		t.Errorf("test %q, want %q", got, want)
	}
	if c.Vocab.Len() != 11 {
		t.Errorf("vocabulary of %d words, want 11", c.Vocab.Len())
	}
	if id, ok := c.Vocab.ID(EOS); !ok || id != 5 {
		t.Errorf("<eos> id %d %v", id, ok)
	}
}

func TestLoadErrors(t *testing.T) {
	for dir, want := range map[string]string{
		"testdata/oov":     `ptb.valid.txt line 2: word "zebra" is not in the training file's vocabulary`,
		"testdata/binary":  "ptb.train.txt line 2: not UTF-8",
		"testdata/missing": "ptb.test.txt: no such file",
		"testdata/empty":   "ptb.train.txt: no words",
		"testdata/none":    "ptb.train.txt: no such file",
	} {
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", dir, err, want)
		}
	}
	// <eos> written in the text.
	r := strings.NewReader
	if _, err := Read(r("a <eos> b\n"), r("a\n"), r("a\n"), [3]string{"t", "v", "s"}); err == nil || !strings.Contains(err.Error(), "t line 1: the text holds <eos>") {
		t.Errorf("literal <eos>: %v", err)
	}
}

func TestBatchify(t *testing.T) {
	tokens := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	b, err := Batchify(tokens, 3) // 3 columns of 3 tokens; 9, 10 dropped
	if err != nil {
		t.Fatal(err)
	}
	if b.Steps != 3 || b.Batch != 3 || !slices.Equal(b.Data, []int32{0, 3, 6, 1, 4, 7, 2, 5, 8}) {
		t.Fatalf("batchify %+v", b)
	}
	x, y, n := b.Window(0, 5) // clipped to the 2 steps that have targets
	if n != 2 || !slices.Equal(x, []int32{0, 3, 6, 1, 4, 7}) || !slices.Equal(y, []int32{1, 4, 7, 2, 5, 8}) {
		t.Errorf("window 0: %v %v %d", x, y, n)
	}
	x, y, n = b.Window(1, 1)
	if n != 1 || !slices.Equal(x, []int32{1, 4, 7}) || !slices.Equal(y, []int32{2, 5, 8}) {
		t.Errorf("window 1: %v %v %d", x, y, n)
	}
	for _, bad := range []int{0, -1, 6} {
		if _, err := Batchify(tokens, bad); err == nil {
			t.Errorf("batch %d accepted", bad)
		}
	}
}

func TestFromTextTokens(t *testing.T) {
	in := "In the beginning, God created 3,000 things.\nAnd Mr. Smith's dog\nwouldn't bark--nor did it\u2019s owner!\n\nA long-suffering (man) said: \"yes\" and/or no? End"
	s, err := sentences(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"in the beginning god created N things",
		"and mr. smith 's dog would n't bark nor did it 's owner",
		"a long-suffering man said yes and or no",
		"end",
	}
	var got []string
	for _, x := range s {
		got = append(got, strings.Join(x, " "))
	}
	if !slices.Equal(got, want) {
		t.Errorf("sentences\n%q\nwant\n%q", got, want)
	}
}

func TestFromText(t *testing.T) {
	// 1300 sentences: blocks 0..25, blocks 10 and 22 valid, 11 and 23 test.
	var b strings.Builder
	for i := 0; i < 1300; i++ {
		b.WriteString("the cat sat on a mat. ")
		if i%100 == 0 {
			b.WriteString("a rare word here.\n") // "rare", "word", "here" are the rarest
		}
	}
	txt, err := FromText(strings.NewReader(b.String()), 6)
	if err != nil {
		t.Fatal(err)
	}
	// 1313 sentences: blocks of 50 → 26 full blocks + 13.
	if len(txt.Valid) != 100 || len(txt.Test) != 100 || len(txt.Train) != 1113 {
		t.Fatalf("split %d/%d/%d", len(txt.Train), len(txt.Valid), len(txt.Test))
	}
	// 4 kept words: a (the most frequent), then cat, mat, on (ties alphabetical, before sat, the).
	if txt.Train[0] != "<unk> cat <unk> on a mat" {
		t.Errorf("first sentence %q", txt.Train[0])
	}
	dir := t.TempDir()
	if err := txt.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Vocab.Len() != 6 {
		t.Errorf("vocabulary of %d words, want 6", c.Vocab.Len())
	}
	data, _ := os.ReadFile(filepath.Join(dir, TrainFile))
	if !strings.HasPrefix(string(data), " <unk> cat <unk> on a mat \n") {
		t.Errorf("file starts %q", data[:40])
	}
	if _, err := FromText(strings.NewReader("too short."), 0); err == nil || !strings.Contains(err.Error(), "too few") {
		t.Errorf("short text: %v", err)
	}
	if _, err := FromText(strings.NewReader("x\xff."), 0); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("binary text: %v", err)
	}
}
