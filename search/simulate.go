package search

import (
	"fmt"
	"path/filepath"

	"github.com/rdarts/rdarts/internal/runfolder"
)

// SimulateES writes into dir the run that cfg, a DARTS-ES search, would
// make, from the finished DARTS run in from with the same settings. Up to
// the epoch where the rule first fires the two runs are the same
// computation (DARTS records that epoch as es-would-stop, DARTS-ES stops
// there), so the DARTS-ES run is the DARTS run cut after that epoch, its
// answer the stop epoch's architecture; where the rule never fires it is
// the whole DARTS run. This is how the paper evaluates DARTS-ES: on the
// DARTS runs. force replaces a run that dir holds.
func SimulateES(from, dir string, cfg Config, force bool) error {
	if cfg.Method != "darts-es" {
		return fmt.Errorf("SimulateES: %s is a %s run, not darts-es", dir, cfg.Method)
	}
	base, err := LoadConfig(from)
	if err != nil {
		return err
	}
	want := cfg
	want.Method, want.Member = "darts", nil
	base.Member = nil
	if ch, err := runfolder.Diff(base, want); err != nil || len(ch) > 0 || base.HessianEvery == 0 {
		return fmt.Errorf("%s is not the DARTS run of %s's settings with eigenvalues (differences: %v)", from, dir, ch)
	}
	res, err := ReadResult(from)
	if err != nil {
		return err
	}
	ms, err := ReadMetrics(from, false)
	if err != nil {
		return err
	}
	eigen, err := runfolder.ReadJSONL[EigenRecord](filepath.Join(from, runfolder.EigenFile))
	if err != nil {
		return err
	}
	res.Method = cfg.Method
	for i, m := range ms {
		if m.Event == nil || m.Event.Kind != EventESWouldStop {
			continue
		}
		stop := m.Event.Epoch
		ev := Event{Kind: EventESStop, Epoch: stop}
		ms = ms[:i+1]
		ms[i].Event = &ev
		for _, s := range ms {
			if s.Epoch == stop {
				res.Epoch, res.Genotype, res.ValidAcc, res.ValidError = s.Epoch, s.Genotype, s.ValidAcc, 100-s.ValidAcc
			}
		}
		res.Event = &ev
		keep := eigen[:0]
		for _, e := range eigen {
			if e.Epoch <= m.Epoch {
				keep = append(keep, e)
			}
		}
		eigen = keep
		break
	}
	f, _, err := runfolder.Begin(dir, cfg, false, force, nil)
	if err != nil {
		return err
	}
	defer f.Release()
	if err := runfolder.WriteJSONL(f, runfolder.MetricsFile, ms); err != nil {
		return err
	}
	if err := runfolder.WriteJSONL(f, runfolder.EigenFile, eigen); err != nil {
		return err
	}
	if err := f.Write(runfolder.GenotypeFile, []byte(res.Genotype+"\n")); err != nil {
		return err
	}
	return f.WriteJSON(runfolder.ResultFile, res)
}
