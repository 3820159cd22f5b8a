package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/corpus"
)

// ptbFromTextOptions are the flags of rdarts data ptb-from-text.
type ptbFromTextOptions struct {
	in, out string
	vocab   int
}

func newCmdPTBFromText(g *globals) *cobra.Command {
	var o ptbFromTextOptions
	cmd := &cobra.Command{
		Use:   "ptb-from-text",
		Short: "Convert plain English text into a PTB-format word-level corpus (ptb.train/valid/test.txt)",
		Long: `Convert plain English text (standard input, or --in FILE) into the Penn Treebank
word-level format of Mikolov et al.: one sentence a line, lower case, numbers as N,
punctuation dropped, clitics split, words outside the --vocab most frequent training
words written <unk>, and a deterministic 10:1:1 split into ptb.train.txt, ptb.valid.txt
and ptb.test.txt in --out (see corpus.FromText for every rule).

The default demo corpus is the King James Bible of Debian's bible-kjv package:

  apt-get install -y bible-kjv
  bible gen1:1-rev22:21 |
    sed -E '/^([1-3] )?[A-Z][A-Za-z ]* [0-9]+$/d; s/^ +[0-9]+ //' |
    rdarts data ptb-from-text --out data/kjv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPTBFromText(g, cmd.InOrStdin(), o) },
	}
	cmd.Flags().StringVar(&o.in, "in", "", "text file to convert (default: standard input)")
	cmd.Flags().StringVar(&o.out, "out", "", "folder to write the three files into (created if missing)")
	cmd.Flags().IntVar(&o.vocab, "vocab", corpus.DefaultVocabSize, "vocabulary size, <eos> and <unk> included")
	return cmd
}

func runPTBFromText(g *globals, stdin io.Reader, o ptbFromTextOptions) error {
	if o.out == "" {
		return usageErr("--out: the folder to write the corpus into is required")
	}
	if o.vocab < 3 {
		return usageErr("--vocab: must be at least 3, have %d", o.vocab)
	}
	r := stdin
	if o.in != "" {
		f, err := os.Open(o.in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	t, err := corpus.FromText(r, o.vocab)
	if err != nil {
		return err
	}
	if err := t.WriteDir(o.out); err != nil {
		return err
	}
	c, err := corpus.Load(o.out)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "%s: %d words in the vocabulary; %d / %d / %d tokens (train / valid / test, <eos> included)\n",
		o.out, c.Vocab.Len(), len(c.Train), len(c.Valid), len(c.Test))
	return nil
}
