package train

import (
	"fmt"
	"path/filepath"

	"github.com/rdarts/rdarts/internal/runfolder"
)

// ReadConfig reads the config.json of a training run folder over the
// defaults (the one reader of that file), without validating it.
func ReadConfig(dir string) (Config, error) {
	c := Defaults()
	path := filepath.Join(dir, runfolder.ConfigFile)
	if err := runfolder.ReadJSON(path, &c); err != nil {
		return c, fmt.Errorf("%s is not a training run folder: %w", dir, err)
	}
	return c, nil
}

// LoadConfig is ReadConfig for a run to continue: the settings must be
// valid.
func LoadConfig(dir string) (Config, error) {
	c, err := ReadConfig(dir)
	if err != nil {
		return c, err
	}
	path := filepath.Join(dir, runfolder.ConfigFile)
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadMetrics reads a training run's metrics.jsonl.
func ReadMetrics(dir string) ([]Metrics, error) {
	return runfolder.ReadJSONL[Metrics](filepath.Join(dir, runfolder.MetricsFile))
}

// ReadResult reads a finished training run's result.json.
func ReadResult(dir string) (Result, error) {
	var r Result
	path := filepath.Join(dir, runfolder.ResultFile)
	if err := runfolder.ReadJSON(path, &r); err != nil {
		return r, err
	}
	if r.Genotype == "" {
		return r, fmt.Errorf("%s: not a training result (no genotype)", path)
	}
	return r, nil
}
