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
// simulated on its DARTS twin. The twin's provenance.jsonl comes along:
// the copy was computed by the twin's builds. result.json is copied
// last: the copy is finished only when every file is there. force
// replaces what t's folder holds.
func (t *Task) copyTwin(force bool) error {
	if t.Stage == StageRetrain {
		return t.copyRetrain(t.retrainTwin(), force)
	}
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
	for _, name := range []string{runfolder.MetricsFile, runfolder.EigenFile, runfolder.ProvenanceFile, runfolder.GenotypeFile, runfolder.ResultFile} {
		b, err := os.ReadFile(filepath.Join(t.Twin.Dir, name))
		if errors.Is(err, fs.ErrNotExist) && (name == runfolder.EigenFile || name == runfolder.ProvenanceFile) {
			continue // a run without eigenvalues, or of an rdarts without provenance
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

// retrainTwin is the first earlier retraining of t's space, dataset and
// seed that trains the same genotype under the same protocol (DARTS-ES
// that never fired, R-DARTS selecting its default member): its run is t's
// run, bit for bit, so t copies it. Nil until both selections are known.
func (t *Task) retrainTwin() *Task {
	mine, err := t.RetrainConfig()
	if err != nil {
		return nil
	}
	mine.GenotypeSource = ""
	for _, p := range t.Peers {
		c, err := p.RetrainConfig()
		if err != nil {
			continue
		}
		c.GenotypeSource = ""
		if c == mine {
			return p
		}
	}
	return nil
}

// copyRetrain makes t's run folder a copy of the finished retraining tw
// with t's own settings (its genotype's source differs), result.json
// last.
func (t *Task) copyRetrain(tw *Task, force bool) error {
	c, err := t.RetrainConfig()
	if err != nil {
		return err
	}
	f, _, err := runfolder.Begin(t.Dir, c, false, force, nil)
	if err != nil {
		return err
	}
	defer f.Release()
	for _, name := range []string{runfolder.MetricsFile, runfolder.ProvenanceFile, runfolder.ResultFile} {
		b, err := os.ReadFile(filepath.Join(tw.Dir, name))
		if errors.Is(err, fs.ErrNotExist) && name == runfolder.ProvenanceFile {
			continue
		}
		if err != nil {
			return fmt.Errorf("task %s: copying the retraining %s of the same genotype: %w", t.ID, tw.ID, err)
		}
		if err := f.Write(name, b); err != nil {
			return fmt.Errorf("task %s: %w", t.ID, err)
		}
	}
	return nil
}
