package search

import (
	"bytes"
	"testing"

	"github.com/rdarts/rdarts/internal/runfolder"
)

// FuzzConfig feeds arbitrary config.json text to the reader and the
// validation: an error or a valid configuration, never a panic.
func FuzzConfig(f *testing.F) {
	f.Add([]byte(`{"space": "s2", "epochs": 3, "es": {"factor": 1.3}}`))
	f.Add([]byte(`{"method": "darts-ada", "weight_decay": 0, "hessian_every": 2}`))
	f.Add([]byte(`{"r_darts": {"family": "l2", "value": 1e400}}`))
	f.Add([]byte(`{"init": "legacy", "layers": -1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Defaults()
		if err := runfolder.DecodeJSON("config.json", b, &c); err != nil {
			return
		}
		c.Validate()
	})
}

// FuzzRecords feeds arbitrary text to the metrics and result readers.
func FuzzRecords(f *testing.F) {
	f.Add([]byte(`{"epoch": 0, "ev": 0.1, "event": {"kind": "es-stop", "epoch": 3}}`))
	f.Add([]byte(`{"method": "darts", "genotype": "G", "split": {"w_images": 1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var o Outcome
		runfolder.DecodeJSON("result.json", b, &o)
		ms, _ := runfolder.DecodeJSONL[Metrics]("metrics.jsonl", bytes.NewReader(b))
		LatestPerEpoch(ms)
	})
}
