package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/rnnsearch"
	"github.com/rdarts/rdarts/search"
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
		{Epoch: 1, TrainPPL: 500, ValidPPL: 450, Genotype: g, EV: &ev, Event: &search.Event{Kind: search.EventESWouldStop, Epoch: 0}},
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
	for _, want := range []string{"2 epochs recorded of 50", "epoch 1 (last recorded)", "img/eigenvalue.png", "58.64", "validation perplexity 450.00", "DARTS-ES (grey lines): epoch 1: ES would stop 0"} {
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

// TestLoadRNN: an R-DARTS(L2) group's members are named by their group's
// result.json, a retraining inside a search folder is found, and the
// tables end with the paper's PTB row.
func TestLoadRNN(t *testing.T) {
	group := t.TempDir()
	g := space.RNNDARTSV2.String()
	write := func(dir string, cfg any, records any, result any) {
		f, err := runfolder.Acquire(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Release()
		f.WriteJSON(runfolder.ConfigFile, cfg)
		switch r := records.(type) {
		case []rnnsearch.Metrics:
			runfolder.WriteJSONL(f, runfolder.MetricsFile, r)
		case []rnnsearch.RetrainMetrics:
			runfolder.WriteJSONL(f, runfolder.MetricsFile, r)
		}
		if result != nil {
			f.WriteJSON(runfolder.ResultFile, result)
		}
	}
	var dirs []string
	for _, wd := range []string{"wd_5e-07", "wd_1.5e-06"} {
		dir := filepath.Join(group, wd)
		cfg := rnnsearch.DefaultConfig()
		cfg.Data = "corpus"
		write(dir, cfg, []rnnsearch.Metrics{{Epoch: 0, ValidPPL: 400, Genotype: g}}, rnnsearch.Outcome{Space: "rnn", Genotype: g, ValidPPL: 400})
		sel := rnnsearch.DefaultSelectConfig()
		sel.Genotype, sel.Data = g, "corpus"
		write(filepath.Join(dir, "select"), sel, []rnnsearch.RetrainMetrics{{ValidPPL: 300}}, rnnsearch.RetrainOutcome{Genotype: g, ValidPPL: 300, TestPPL: 310})
		dirs = append(dirs, dir)
	}
	res, _ := os.Create(filepath.Join(group, runfolder.ResultFile))
	res.WriteString(`{"rule": "retrain", "members": [{"weight_decay": 5e-7, "dir": "` + dirs[0] + `", "search": {}, "select": {}},
	  {"weight_decay": 1.5e-6, "dir": "` + dirs[1] + `", "search": {}, "select": {}}], "chosen": 1}`)
	res.Close()
	rows, warnings := LoadRNN(append(dirs, filepath.Join(group, "missing")))
	if len(rows) != 4 || len(warnings) != 1 {
		t.Fatalf("%d rows, warnings %v", len(rows), warnings)
	}
	if rows[0].Method != "R-DARTS(L2)" || rows[0].Setting != "wd=5e-07" || rows[2].Setting != "wd=1.5e-06, chosen" || rows[1].Kind != "retrain" || rows[1].TestPPL != 310 {
		t.Errorf("rows %+v", rows)
	}
	var b strings.Builder
	if err := WriteRNNText(&b, rows); err != nil || !strings.Contains(b.String(), "57.59") || !strings.Contains(b.String(), "chosen") {
		t.Errorf("text: %v\n%s", err, b.String())
	}
	out := t.TempDir()
	if err := WriteRNNHTML(rows, warnings, out); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, want := range []string{"wd_5e-07/index.html", "wd_1_5e-06/index.html", "58.64", "R-DARTS selection"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index lacks %q", want)
		}
	}
}
