package corpus

import (
	"strings"
	"testing"
)

// FuzzRead checks that reading never panics and that every id it returns
// names a word of the vocabulary.
func FuzzRead(f *testing.F) {
	f.Add(" the cat \n a dog \n", " the dog \n")
	f.Add("a <eos> b", "a")
	f.Add("\xff", "")
	f.Fuzz(func(t *testing.T, train, valid string) {
		c, err := Read(strings.NewReader(train), strings.NewReader(valid), strings.NewReader(valid), [3]string{"t", "v", "s"})
		if err != nil {
			return
		}
		for _, s := range [][]int32{c.Train, c.Valid, c.Test} {
			for _, id := range s {
				if id < 0 || int(id) >= c.Vocab.Len() {
					t.Fatalf("id %d outside a vocabulary of %d", id, c.Vocab.Len())
				}
			}
		}
	})
}

// FuzzFromTextWords checks that tokenising any text never panics and
// yields no empty word and no white space inside a word.
func FuzzFromTextWords(f *testing.F) {
	f.Add("In the beginning, God created 3,000 things. Mr. Smith's dog wouldn't--bark!")
	f.Add("'''...---'s n't")
	f.Fuzz(func(t *testing.T, text string) {
		sents, err := sentences(strings.NewReader(text))
		if err != nil {
			return
		}
		for _, s := range sents {
			for _, w := range s {
				if w == "" || strings.ContainsAny(w, " \t\n\r") {
					t.Fatalf("word %q", w)
				}
			}
		}
	})
}
