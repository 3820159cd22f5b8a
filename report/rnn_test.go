package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/rnnsearch"
	"github.com/rdarts/rdarts/space"
)

func TestWriteRNN(t *testing.T) {
	run := t.TempDir()
	cfg := rnnsearch.DefaultConfig()
	cfg.Data = "corpus"
	ev := 0.5
	g := space.RNNDARTSV2.String()
	ms := []rnnsearch.Metrics{
		{Epoch: 0, TrainPPL: 900, ValidPPL: 700, Genotype: g, EV: &ev},
		{Epoch: 1, TrainPPL: 500, ValidPPL: 450, Genotype: g, EV: &ev},
	}
	f, err := runfolder.Acquire(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.WriteJSON(runfolder.ConfigFile, cfg); err != nil {
		t.Fatal(err)
	}
	if err := runfolder.WriteJSONL(f, runfolder.MetricsFile, ms); err != nil {
		t.Fatal(err)
	}
	f.Release()
	out := t.TempDir()
	if err := WriteRNN(run, out); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, want := range []string{"2 epochs recorded of 50", "epoch 1 (last recorded)", "img/eigenvalue.png", "58.64", "validation perplexity 450.00"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, f := range []string{"cell.svg", "img/perplexity.png", "img/eigenvalue.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := WriteRNN(t.TempDir(), out); err == nil {
		t.Error("an empty folder was reported")
	}
}
