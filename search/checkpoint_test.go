package search

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/runfolder"
)

// TestLoadStateVersions: the current format and version 2 (which lacks
// only the Lanczos warm start, decoded as none) load; other versions are
// refused with the versions in the message; the warm start survives a
// save and load.
func TestLoadStateVersions(t *testing.T) {
	dir := t.TempDir()
	f, _, err := runfolder.Begin(dir, tinyConfig(), false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	for _, v := range []int{1, 2, stateVersion, stateVersion + 1} {
		s := State{Version: v, Alpha: [][]float32{{1, 2}}}
		if v == stateVersion {
			s.Lanczos = LanczosState{Epoch: 4, Start: []float64{1, 0}, Vector: []float64{0.6, 0.8}}
		}
		name := "checkpoint.gob"
		if err := f.SaveGob(name, s); err != nil {
			t.Fatal(err)
		}
		got, err := LoadState(filepath.Join(dir, name))
		switch {
		case v == 2 || v == stateVersion:
			if err != nil {
				t.Errorf("version %d: %v", v, err)
			} else if v == stateVersion && (got.Lanczos.Epoch != 4 || got.Lanczos.Vector[1] != 0.8 || got.Lanczos.Start[0] != 1) {
				t.Errorf("the warm start came back as %+v", got.Lanczos)
			} else if v == 2 && got.Lanczos.Vector != nil {
				t.Errorf("version 2: warm start %+v, want none", got.Lanczos)
			}
		case err == nil || !strings.Contains(err.Error(), "reads 2 to"):
			t.Errorf("version %d: error %v, want a refusal naming the versions read", v, err)
		}
	}
}
