package corpus

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rdarts/rdarts/internal/atomicfile"
)

// DefaultVocabSize is PTB's vocabulary size, <eos> and <unk> included.
const DefaultVocabSize = 10000

// Split cycle of FromText: sentences go in blocks of splitBlock; of every
// splitCycle blocks the last but one goes to validation, the last to test,
// the rest to training (10:1:1, about PTB's 887k:70k:78k words).
const (
	splitBlock = 50
	splitCycle = 12
)

// Text is a corpus in the PTB format, one sentence (space-separated words,
// no <eos>) per line of each split.
type Text struct {
	Train, Valid, Test []string
}

// FromText converts plain English text into the PTB word-level format with
// a vocabulary of vocabSize words (<eos> and <unk> included; 0 means
// DefaultVocabSize):
//
//   - words are lower-cased; tokens made of digits (with , . : / - inside)
//     become N;
//   - punctuation is dropped, as in PTB, except inside words: hyphenated
//     words and abbreviations such as "mr." stay whole, and the clitics
//     's 're 've 'll 'd 'm n't are split off ("don't" → "do n't");
//   - a sentence ends after a word followed by . ? or ! and at a blank line;
//     single line breaks are ignored, so wrapped text reads as it should;
//   - the sentences are split deterministically in blocks of 50: of each 12
//     consecutive blocks, the 11th goes to validation, the 12th to test, the
//     others to training;
//   - the vocabulary is the vocabSize−2 most frequent words of the training
//     split (ties in alphabetical order) plus <eos> and <unk>; every other
//     word, in any split, becomes <unk>, so validation and test have no
//     out-of-vocabulary words.
//
// The default demo corpus is the King James Bible of Debian's bible-kjv
// package (about 790 000 words, near PTB's 887 000 training words), its
// chapter headings and verse numbers removed:
//
//	apt-get install -y bible-kjv
//	bible gen1:1-rev22:21 |
//	  sed -E '/^([1-3] )?[A-Z][A-Za-z ]* [0-9]+$/d; s/^ +[0-9]+ //' |
//	  rdarts data ptb-from-text --out data/kjv
//
// WriteDir stores the result as ptb.train.txt, ptb.valid.txt and
// ptb.test.txt. FromText fails on text that is not UTF-8, and on text too
// short to fill all three splits.
func FromText(r io.Reader, vocabSize int) (*Text, error) {
	if vocabSize == 0 {
		vocabSize = DefaultVocabSize
	}
	if vocabSize < 3 {
		return nil, fmt.Errorf("corpus: vocabulary size %d, want ≥ 3 (<eos>, <unk> and a word)", vocabSize)
	}
	sents, err := sentences(r)
	if err != nil {
		return nil, err
	}
	var split [3][][]string
	for i, s := range sents {
		k := 0
		switch (i / splitBlock) % splitCycle {
		case splitCycle - 2:
			k = 1
		case splitCycle - 1:
			k = 2
		}
		split[k] = append(split[k], s)
	}
	for k, name := range []string{"training", "validation", "test"} {
		if len(split[k]) == 0 {
			return nil, fmt.Errorf("corpus: %d sentences are too few for a %s split (need at least %d)", len(sents), name, splitBlock*(splitCycle-1)+1)
		}
	}
	keep := topWords(split[0], vocabSize-2)
	var out [3][]string
	for k := range split {
		out[k] = make([]string, len(split[k]))
		for i, s := range split[k] {
			ws := make([]string, len(s))
			for j, w := range s {
				if keep[w] {
					ws[j] = w
				} else {
					ws[j] = Unk
				}
			}
			out[k][i] = strings.Join(ws, " ")
		}
	}
	return &Text{Train: out[0], Valid: out[1], Test: out[2]}, nil
}

// topWords returns the n most frequent words of sents, ties alphabetical.
func topWords(sents [][]string, n int) map[string]bool {
	count := map[string]int{}
	for _, s := range sents {
		for _, w := range s {
			count[w]++
		}
	}
	words := make([]string, 0, len(count))
	for w := range count {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		if c := cmp.Compare(count[b], count[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	keep := map[string]bool{}
	for _, w := range words[:min(n, len(words))] {
		keep[w] = true
	}
	return keep
}

// WriteDir writes the three files into dir (created if missing), each
// replaced atomically.
func (t *Text) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	for i, name := range []string{TrainFile, ValidFile, TestFile} {
		lines := [][]string{t.Train, t.Valid, t.Test}[i]
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(" ") // PTB's lines start with a space
			b.WriteString(l)
			b.WriteString(" \n")
		}
		if err := atomicfile.Write(filepath.Join(dir, name), []byte(b.String())); err != nil {
			return fmt.Errorf("corpus: %w", err)
		}
	}
	return nil
}

// abbreviations keep their final period, as PTB writes them.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "jr": true, "sr": true,
	"co": true, "corp": true, "inc": true, "ltd": true, "vs": true, "etc": true, "prof": true,
}

// clitics are split off the end of a word, longest first.
var clitics = []string{"n't", "'ll", "'re", "'ve", "'s", "'d", "'m"}

// sentences tokenises text into sentences of PTB-style words.
func sentences(r io.Reader) ([][]string, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var out [][]string
	var cur []string
	end := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for line := 1; ; line++ {
		s, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("corpus: reading text: %w", err)
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("corpus: text line %d: not UTF-8", line)
		}
		if strings.TrimSpace(s) == "" {
			end() // a blank line ends a sentence
		}
		for _, chunk := range strings.Fields(strings.ReplaceAll(s, "\u2019", "'")) {
			for _, piece := range strings.Split(strings.ToLower(chunk), "--") {
				ws, stop := words(piece)
				cur = append(cur, ws...)
				if stop {
					end()
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	end()
	return out, nil
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// words splits one lower-cased white-space-free chunk into PTB words and
// reports whether a sentence ends after it.
func words(chunk string) ([]string, bool) {
	core := strings.TrimFunc(chunk, func(r rune) bool { return !isAlnum(r) })
	if core == "" {
		return nil, false
	}
	trail := chunk[strings.LastIndex(chunk, core)+len(core):]
	if strings.HasPrefix(trail, ".") && abbreviations[core] {
		return []string{core + "."}, false
	}
	stop := strings.ContainsAny(trail, ".?!")
	if isNumber(core) {
		return []string{"N"}, stop
	}
	var out []string
	for _, part := range strings.FieldsFunc(core, func(r rune) bool {
		return !isAlnum(r) && r != '-' && r != '\'' && r != '.'
	}) {
		part = strings.TrimFunc(part, func(r rune) bool { return !isAlnum(r) })
		if part == "" {
			continue
		}
		if isNumber(part) {
			out = append(out, "N")
			continue
		}
		out = append(out, splitClitic(part)...)
	}
	return out, stop
}

// splitClitic splits "don't" into "do", "n't" and "god's" into "god", "'s".
func splitClitic(w string) []string {
	for _, c := range clitics {
		if len(w) > len(c) && strings.HasSuffix(w, c) {
			return []string{w[:len(w)-len(c)], c}
		}
	}
	return []string{w}
}

// isNumber reports whether w is digits with , . : / - between them.
func isNumber(w string) bool {
	digit := false
	for _, r := range w {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case strings.ContainsRune(",.:/-", r):
		default:
			return false
		}
	}
	return digit
}
