// Package corpus reads word-level language-modelling corpora in the Penn
// Treebank format of Mikolov et al. (ptb.train.txt, ptb.valid.txt,
// ptb.test.txt) and lays token streams out for truncated back-propagation
// through time, as the recurrent DARTS search needs them.
//
// # The format
//
// Each file is UTF-8 text with one sentence a line and words separated by
// white space; rare words are already replaced by <unk>. Reading a line
// yields its words followed by an <eos> token, so a blank line yields a lone
// <eos> (the reference reader does the same).
//
// # Vocabulary
//
// The vocabulary is built from the training file alone, ids in order of
// first appearance (the reference builds it over all three files in the
// same order; for PTB, whose validation and test words all occur in the
// training file, the two agree). A word of the validation or test file that
// the training file lacks is an error naming the file, line and word: a
// PTB-format corpus has a closed vocabulary, and mapping such words to
// <unk> silently would make perplexities incomparable. FromText writes
// corpora that satisfy this rule.
//
// # Rules
//
// Files and text from the world return errors; a batch request outside the
// stream (a programmer error) panics with a "corpus:" message.
package corpus

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// EOS and Unk are the end-of-sentence and unknown-word tokens.
const (
	EOS = "<eos>"
	Unk = "<unk>"
)

// File names of the three splits inside a corpus folder.
const (
	TrainFile = "ptb.train.txt"
	ValidFile = "ptb.valid.txt"
	TestFile  = "ptb.test.txt"
)

// Vocab maps words to ids 0..Len()-1.
type Vocab struct {
	words []string
	ids   map[string]int32
}

// NewVocab returns an empty vocabulary.
func NewVocab() *Vocab { return &Vocab{ids: map[string]int32{}} }

// add returns w's id, giving it the next one if it is new.
func (v *Vocab) add(w string) int32 {
	if id, ok := v.ids[w]; ok {
		return id
	}
	id := int32(len(v.words))
	v.words = append(v.words, w)
	v.ids[w] = id
	return id
}

// Len is the number of words.
func (v *Vocab) Len() int { return len(v.words) }

// ID returns w's id and whether w is in the vocabulary.
func (v *Vocab) ID(w string) (int32, bool) {
	id, ok := v.ids[w]
	return id, ok
}

// Word returns the word with the given id; it panics if id is out of range.
func (v *Vocab) Word(id int32) string {
	if id < 0 || int(id) >= len(v.words) {
		panic(fmt.Sprintf("corpus: Vocab.Word: id %d outside [0,%d)", id, len(v.words)))
	}
	return v.words[id]
}

// Corpus is a tokenised corpus: the three splits as id streams and the
// vocabulary of the training split.
type Corpus struct {
	Vocab              *Vocab
	Train, Valid, Test []int32
}

// Load reads ptb.train.txt, ptb.valid.txt and ptb.test.txt from dir.
func Load(dir string) (*Corpus, error) {
	var rs [3]io.Reader
	for i, name := range []string{TrainFile, ValidFile, TestFile} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("corpus: %w (a PTB-format folder holds %s, %s and %s)", err, TrainFile, ValidFile, TestFile)
		}
		defer f.Close()
		rs[i] = f
	}
	return Read(rs[0], rs[1], rs[2], [3]string{
		filepath.Join(dir, TrainFile), filepath.Join(dir, ValidFile), filepath.Join(dir, TestFile)})
}

// Read tokenises the three splits; names label them in errors.
func Read(train, valid, test io.Reader, names [3]string) (*Corpus, error) {
	v := NewVocab()
	c := &Corpus{Vocab: v}
	var err error
	if c.Train, err = readSplit(train, names[0], v, true); err != nil {
		return nil, err
	}
	if c.Valid, err = readSplit(valid, names[1], v, false); err != nil {
		return nil, err
	}
	if c.Test, err = readSplit(test, names[2], v, false); err != nil {
		return nil, err
	}
	return c, nil
}

// readSplit tokenises one file. With grow set, new words join v; otherwise
// a word outside v is an error.
func readSplit(r io.Reader, name string, v *Vocab, grow bool) ([]int32, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var ids []int32
	words := 0
	for line := 1; ; line++ {
		s, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("corpus: %s: %w", name, err)
		}
		if s == "" && errors.Is(err, io.EOF) {
			break
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("corpus: %s line %d: not UTF-8 text", name, line)
		}
		if strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("corpus: %s line %d: NUL byte (a binary file?)", name, line)
		}
		for _, w := range strings.Fields(s) {
			if w == EOS {
				return nil, fmt.Errorf("corpus: %s line %d: the text holds %s itself (it is appended to every line)", name, line, EOS)
			}
			id, ok := v.ID(w)
			if !ok {
				if !grow {
					return nil, fmt.Errorf("corpus: %s line %d: word %q is not in the training file's vocabulary (PTB-format corpora are closed: rare words are written %s)", name, line, w, Unk)
				}
				id = v.add(w)
			}
			ids = append(ids, id)
			words++
		}
		id, ok := v.ID(EOS)
		if !ok {
			id = v.add(EOS) // only the training split gets here first
		}
		ids = append(ids, id)
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if words == 0 {
		return nil, fmt.Errorf("corpus: %s: no words", name)
	}
	return ids, nil
}

// Batched is a token stream cut into Batch equal columns of Steps tokens,
// stored time-major: token t of column b is Data[t*Batch+b] and column b
// holds the stream's tokens b·Steps … (b+1)·Steps−1. The tail that does not
// fill a row is dropped (the reference's batchify).
type Batched struct {
	Steps, Batch int
	Data         []int32
}

// Batchify lays out tokens in batch columns. It is an error for the stream
// to be too short for two time steps per column (one input, one target).
func Batchify(tokens []int32, batch int) (*Batched, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("corpus: batch size %d, want ≥ 1", batch)
	}
	steps := len(tokens) / batch
	if steps < 2 {
		return nil, fmt.Errorf("corpus: %d tokens are too few for %d columns of at least 2 tokens", len(tokens), batch)
	}
	d := make([]int32, steps*batch)
	for b := 0; b < batch; b++ {
		for t := 0; t < steps; t++ {
			d[t*batch+b] = tokens[b*steps+t]
		}
	}
	return &Batched{Steps: steps, Batch: batch, Data: d}, nil
}

// Window returns the inputs rows i … i+n−1 and their targets rows
// i+1 … i+n, each time-major (n·Batch values), with n = min(seqLen,
// Steps−1−i) (the reference's get_batch). It panics unless 0 ≤ i < Steps−1
// and seqLen ≥ 1.
func (b *Batched) Window(i, seqLen int) (x, y []int32, n int) {
	if i < 0 || i >= b.Steps-1 || seqLen < 1 {
		panic(fmt.Sprintf("corpus: Window(%d, %d) outside a stream of %d steps", i, seqLen, b.Steps))
	}
	n = min(seqLen, b.Steps-1-i)
	return b.Data[i*b.Batch : (i+n)*b.Batch], b.Data[(i+1)*b.Batch : (i+1+n)*b.Batch], n
}
