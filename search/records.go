package search

import (
	"fmt"
	"path/filepath"

	"github.com/rdarts/rdarts/internal/runfolder"
)

// Metrics is one epoch's record in metrics.jsonl. Accuracies are percent.
// Its one writer is Runner; its one reader is ReadMetrics.
type Metrics struct {
	Epoch       int         `json:"epoch"`
	Iteration   int         `json:"iteration"` // DARTS-ADA restarts so far
	LR          float64     `json:"lr"`
	WeightDecay float64     `json:"weight_decay"`
	DropPath    float64     `json:"drop_path"`
	TrainLoss   float64     `json:"train_loss"`
	TrainAcc    float64     `json:"train_acc"`
	ValidLoss   float64     `json:"valid_loss"`
	ValidAcc    float64     `json:"valid_acc"`
	Genotype    string      `json:"genotype"`
	AlphaNormal [][]float64 `json:"alpha_normal"` // softmax weights
	AlphaReduce [][]float64 `json:"alpha_reduce"`
	EV          *float64    `json:"ev,omitempty"`
	Eigen       *Eigen      `json:"eigen,omitempty"`
	// Event is a method's decision at this epoch, if any.
	Event   *Event  `json:"event,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Event is what a method decided after an epoch.
type Event struct {
	// Kind is one of the Event* constants.
	Kind string `json:"kind"`
	// Epoch is the epoch the decision points to: the DARTS-ES stop epoch,
	// the DARTS-ADA rollback target, or the epoch RS-ws selected after.
	Epoch int `json:"epoch"`
	// WeightDecay is DARTS-ADA's new weight decay after a rollback.
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// Candidates is the number of architectures RS-ws scored.
	Candidates int `json:"candidates,omitempty"`
}

// Kinds of Event.
const (
	EventESStop      = "es-stop"       // DARTS-ES stopped the run
	EventESWouldStop = "es-would-stop" // the rule fired; the method went on
	EventADARollback = "ada-rollback"  // DARTS-ADA rolled back
	EventRSSelect    = "rs-select"     // RS-ws selected its architecture
)

// Outcome is a finished search's result.json: the run's answer. Its one
// writer is Runner; its one reader is ReadResult.
type Outcome struct {
	Method string `json:"method"`
	// Epoch is the epoch whose architecture is the answer (DARTS-ES: the
	// stop epoch; otherwise the last).
	Epoch      int     `json:"epoch"`
	Genotype   string  `json:"genotype"`
	ValidAcc   float64 `json:"valid_acc"`
	ValidError float64 `json:"valid_error"`
	// Event is the decision that chose the epoch, if any (es-stop, rs-select).
	Event *Event `json:"event,omitempty"`
	// Split says which training images trained w and which α: a later
	// selection retraining trains on the first and scores on the second.
	Split Split `json:"split"`
}

// Split is the search's division of the training set: w trained on
// images [0, WImages), α on [WImages, AlphaEnd).
type Split struct {
	WImages  int `json:"w_images"`
	AlphaEnd int `json:"alpha_end"`
}

// EigenRecord is a line of eigen.jsonl: one eigen-analysis.
type EigenRecord struct {
	Epoch     int `json:"epoch"`
	Iteration int `json:"iteration"`
	Eigen
}

// LoadConfig reads a run folder's config.json over the defaults.
func LoadConfig(dir string) (Config, error) {
	c := Defaults()
	path := filepath.Join(dir, runfolder.ConfigFile)
	if err := runfolder.ReadJSON(path, &c); err != nil {
		return c, fmt.Errorf("%s is not a search run folder: %w", dir, err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadMetrics reads a run's metrics.jsonl. DARTS-ADA records the epochs
// it rolls back over; with latest only the last record of each epoch is
// kept, in epoch order.
func ReadMetrics(dir string, latest bool) ([]Metrics, error) {
	all, err := runfolder.ReadJSONL[Metrics](filepath.Join(dir, runfolder.MetricsFile))
	if err != nil || !latest {
		return all, err
	}
	return LatestPerEpoch(all), nil
}

// LatestPerEpoch keeps the last record of each epoch, in epoch order.
func LatestPerEpoch(all []Metrics) []Metrics {
	byEpoch := map[int]Metrics{}
	last := -1
	for _, m := range all {
		byEpoch[m.Epoch] = m
		last = max(last, m.Epoch)
	}
	var out []Metrics
	for e := 0; e <= last; e++ {
		if m, ok := byEpoch[e]; ok {
			out = append(out, m)
		}
	}
	return out
}

// ReadResult reads a finished search's result.json.
func ReadResult(dir string) (Outcome, error) {
	var r Outcome
	path := filepath.Join(dir, runfolder.ResultFile)
	if err := runfolder.ReadJSON(path, &r); err != nil {
		return r, err
	}
	if r.Genotype == "" || r.Method == "" {
		return r, fmt.Errorf("%s: not a search result (no method or genotype)", path)
	}
	return r, nil
}
