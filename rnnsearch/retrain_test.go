package rnnsearch

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/space"
)

func TestRetrain(t *testing.T) {
	data := writeCorpus(t)
	cfg := DefaultRetrainConfig()
	cfg.Genotype, cfg.Data, cfg.Epochs, cfg.Hidden, cfg.BatchSize, cfg.EvalBatch, cfg.BPTT = space.RNNDARTSV1.String(), data, 10, 16, 8, 4, 6
	cfg.Dropout, cfg.DropoutH, cfg.DropoutX, cfg.DropoutI = 0.1, 0.1, 0.1, 0.1
	dir := t.TempDir()
	out, err := Retrain(context.Background(), cfg, dir, fast.Backend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", out)
	if !(out.TestPPL > 1 && out.TestPPL < 8) || math.Abs(out.ValidPPL-math.Exp(out.ValidLoss)) > 1e-9 {
		t.Errorf("outcome %+v", out)
	}
	for _, f := range []string{runfolder.ConfigFile, runfolder.MetricsFile, runfolder.ResultFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if again, err := Retrain(context.Background(), cfg, dir, fast.Backend{}, nil); err != nil || again != out {
		t.Errorf("the finished retraining read back: %+v, %v", again, err)
	}
	other := cfg
	other.Epochs = 11
	if _, err := Retrain(context.Background(), other, dir, fast.Backend{}, nil); err == nil || !strings.Contains(err.Error(), "epochs") {
		t.Errorf("another retraining in the folder: %v", err)
	}
	bad := cfg
	bad.Genotype = "Genotype(recurrent=[('none', 0)], concat=[1])"
	if _, err := Retrain(context.Background(), bad, t.TempDir(), fast.Backend{}, nil); err == nil || !strings.Contains(err.Error(), "genotype") {
		t.Errorf("bad genotype: %v", err)
	}
}

func TestResolveRNNGenotype(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, runfolder.GenotypeFile), []byte(space.RNNDARTSV1.String()+"\n"), 0o644)
	for arg, want := range map[string]space.RNNGenotype{
		"DARTS_V2": space.RNNDARTSV2, dir: space.RNNDARTSV1, space.RNNDARTSV1.String(): space.RNNDARTSV1,
	} {
		g, err := ResolveRNNGenotype(arg)
		if err != nil || !g.Equal(want) {
			t.Errorf("%s: %v, %v", arg, g, err)
		}
	}
	if _, err := ResolveRNNGenotype("nothing"); err == nil {
		t.Error("a bare word was accepted")
	}
	cnn := "Genotype(normal=[('sep_conv_3x3', 0)], normal_concat=[2], reduce=[('max_pool_3x3', 0)], reduce_concat=[2])"
	for arg, want := range map[string]bool{"DARTS_V1": true, dir: true, space.RNNDARTSV1.String(): true, cnn: false, "nothing": false} {
		if got := IsRNNGenotype(arg); got != want {
			t.Errorf("IsRNNGenotype(%.40q) = %v", arg, got)
		}
	}
}
