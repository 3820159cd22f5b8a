package grid

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/search"
)

// copyTwin makes t's run folder a copy of its finished twin's run with
// t's own settings (the same run; only the R-DARTS label differs), so a
// grid never searches the same settings twice; a DARTS-ES task is
// simulated on its DARTS twin. result.json is copied
// last: the copy is finished only when every file is there. force
// replaces what t's folder holds.
func (t *Task) copyTwin(force bool) error {
	if t.Search.Method == "darts-es" && t.Twin.Search.Method == "darts" {
		if err := search.SimulateES(t.Twin.Dir, t.Dir, t.Search, force); err != nil {
			return fmt.Errorf("task %s: DARTS-ES on %s: %w", t.ID, t.Twin.ID, err)
		}
		return nil
	}
	f, _, err := runfolder.Begin(t.Dir, t.Search, false, force, nil)
	if err != nil {
		return err
	}
	defer f.Release()
	for _, name := range []string{runfolder.MetricsFile, runfolder.EigenFile, runfolder.GenotypeFile, runfolder.ResultFile} {
		b, err := os.ReadFile(filepath.Join(t.Twin.Dir, name))
		if errors.Is(err, fs.ErrNotExist) && name == runfolder.EigenFile {
			continue // a run without eigenvalues
		}
		if err != nil {
			return fmt.Errorf("task %s: copying its twin %s: %w", t.ID, t.Twin.ID, err)
		}
		if err := f.Write(name, b); err != nil {
			return fmt.Errorf("task %s: %w", t.ID, err)
		}
	}
	return nil
}
