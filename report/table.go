package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rdarts/rdarts/internal/provenance"
)

// Num is a number that may be missing: NaN, written as null in JSON, an
// empty field in CSV and "—" in text.
type Num float64

// MarshalJSON writes NaN and ±Inf as null.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads null as NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*n = Num(f)
	return err
}

// Valid reports whether n holds a number.
func (n Num) Valid() bool { return !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0) }

func (n Num) format(prec int) string {
	if !n.Valid() {
		return ""
	}
	return strconv.FormatFloat(float64(n), 'f', prec, 64)
}

// Row is one line of the results table: the finished search runs of one
// (space, dataset, method, setting), over seeds. Errors are percent.
type Row struct {
	Space   string   `json:"space"`
	Dataset string   `json:"dataset"`
	Method  string   `json:"method"`
	Setting string   `json:"setting"`
	Runs    int      `json:"runs"` // finished search runs
	Seeds   []uint64 `json:"seeds"`
	// One-shot validation error of the search result (result.json).
	ValidErr    Num `json:"valid_error_mean"`
	ValidErrStd Num `json:"valid_error_std"`
	// Retrained test error over the runs that have one (mean of a run's
	// retrainings first).
	Tested     int `json:"tested"`
	TestErr    Num `json:"test_error_mean"`
	TestErrStd Num `json:"test_error_std"`
	// Dominant eigenvalue at the result epoch (Run.FinalEV), mean over runs.
	EV Num `json:"final_ev_mean"`
	// The eigenvalue at the first DARTS-ES stop epoch (Run.StopEV), mean
	// over the runs where the rule fired.
	StopEV Num `json:"es_stop_ev_mean"`
	// Share of parameter-free ops in the result's normal cell
	// (Run.ParamFreeShare), mean over runs.
	ParamFree Num `json:"param_free_normal_mean"`
	// The paper's numbers (Zela et al., ICLR 2020; see PaperResult); NaN
	// where it reports none.
	PaperBest Num `json:"paper_test_error"`
	PaperMean Num `json:"paper_test_error_mean"`
	PaperStd  Num `json:"paper_test_error_std"`
	// Builds are the distinct Run.Build of the row's runs: the code that
	// produced them.
	Builds []string `json:"builds"`
}

// Table groups the finished runs by (space, dataset, method, setting) and
// summarises each group; an R-DARTS row holds only the chosen members. Rows are ordered by dataset, space, the paper's
// method order, then setting.
func Table(runs []*Run) []Row {
	type key struct{ space, dataset, method, setting string }
	groups := map[key][]*Run{}
	var keys []key
	for _, r := range runs {
		if !r.Finished || (r.Config.Member != nil && !r.Chosen) {
			continue // an R-DARTS row is the members its selection chose
		}
		k := key{r.Config.Space, r.Config.Dataset, r.Method(), r.Setting()}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.dataset, b.dataset), cmp.Compare(a.space, b.space),
			cmp.Compare(methodRank(a.method), methodRank(b.method)), cmp.Compare(a.method, b.method),
			cmp.Compare(a.setting, b.setting))
	})
	var rows []Row
	for _, k := range keys {
		g := groups[k]
		row := Row{Space: k.space, Dataset: k.dataset, Method: k.method, Setting: k.setting, Runs: len(g), Builds: builds(g)}
		var valid, test, ev, stopEV, free []float64
		for _, r := range g {
			row.Seeds = append(row.Seeds, r.Config.Seed)
			if e, ok := r.StopEV(); ok {
				stopEV = append(stopEV, e)
			}
			if f, ok := r.ParamFreeShare(); ok {
				free = append(free, f)
			}
			valid = append(valid, r.ValidError)
			if t, ok := r.TestError(); ok {
				test = append(test, t)
			}
			if e, ok := r.FinalEV(); ok {
				ev = append(ev, e)
			}
		}
		row.ValidErr, row.ValidErrStd = meanStdNum(valid)
		row.Tested = len(test)
		row.TestErr, row.TestErrStd = meanStdNum(test)
		row.EV, _ = meanStdNum(ev)
		row.StopEV, _ = meanStdNum(stopEV)
		row.ParamFree, _ = meanStdNum(free)
		row.PaperBest, row.PaperMean, row.PaperStd = Num(math.NaN()), Num(math.NaN()), Num(math.NaN())
		if p, ok := PaperResult(k.dataset, k.space, k.method); ok {
			if p.Best > 0 {
				row.PaperBest = Num(p.Best)
			}
			if p.Mean > 0 {
				row.PaperMean, row.PaperStd = Num(p.Mean), Num(p.Std)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func methodRank(m string) int {
	if i := slices.Index(paperMethods, m); i >= 0 {
		return i
	}
	return len(paperMethods)
}

// meanStdNum is MeanStd with no std (NaN) for fewer than two values.
func meanStdNum(x []float64) (Num, Num) {
	m, s := MeanStd(x)
	if len(x) < 2 {
		s = math.NaN()
	}
	return Num(m), Num(s)
}

// Correlation is the eigenvalue ↔ test-error relation over runs with both
// (Run.FinalEV and Run.TestError), for one (space, dataset) or, with both
// empty, all runs.
type Correlation struct {
	Space    string    `json:"space,omitempty"`
	Dataset  string    `json:"dataset,omitempty"`
	N        int       `json:"n"`
	Pearson  Num       `json:"pearson"`
	Spearman Num       `json:"spearman"`
	EV       []float64 `json:"ev"`
	TestErr  []float64 `json:"test_error"`
	Labels   []string  `json:"labels"`
}

// Correlations returns the correlation over all finished runs with a
// retraining result and an eigenvalue, then one per (space, dataset) with
// at least three such runs; runs with the same genotype, eigenvalue and
// test error count once. It returns nil if no run qualifies.
func Correlations(runs []*Run) []Correlation {
	all := Correlation{}
	per := map[[2]string]*Correlation{}
	var order [][2]string
	seen := map[string]bool{}
	for _, r := range runs {
		t, ok1 := r.TestError()
		e, ok2 := r.FinalEV()
		if !r.Finished || !ok1 || !ok2 {
			continue
		}
		// One point per architecture: a grid's copied runs (R-DARTS' member
		// that is the DARTS run, a DARTS-ES that never stopped) repeat one.
		key := fmt.Sprintf("%s|%s|%s|%v|%v", r.Config.Space, r.Config.Dataset, r.Genotype, e, t)
		if seen[key] {
			continue
		}
		seen[key] = true
		k := [2]string{r.Config.Space, r.Config.Dataset}
		if per[k] == nil {
			per[k] = &Correlation{Space: k[0], Dataset: k[1]}
			order = append(order, k)
		}
		for _, c := range []*Correlation{&all, per[k]} {
			c.EV, c.TestErr, c.Labels = append(c.EV, e), append(c.TestErr, t), append(c.Labels, r.Dir)
		}
	}
	if len(all.EV) == 0 {
		return nil
	}
	out := []Correlation{all}
	for _, k := range order {
		if c := per[k]; len(c.EV) >= 3 {
			out = append(out, *c)
		}
	}
	for i := range out {
		c := &out[i]
		c.N, c.Pearson, c.Spearman = len(c.EV), Num(Pearson(c.EV, c.TestErr)), Num(Spearman(c.EV, c.TestErr))
	}
	return out
}

var csvHeader = []string{"space", "dataset", "method", "setting", "runs", "seeds",
	"valid_error_mean", "valid_error_std", "tested", "test_error_mean", "test_error_std", "final_ev_mean",
	"paper_test_error", "paper_test_error_mean", "paper_test_error_std", "es_stop_ev_mean", "param_free_normal_mean", "builds"}

// WriteCSV writes rows with a header line; missing numbers are empty fields
// and numbers are printed in full precision.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, r := range rows {
		cw.Write([]string{r.Space, r.Dataset, r.Method, r.Setting, strconv.Itoa(r.Runs), seedList(r.Seeds),
			r.ValidErr.format(-1), r.ValidErrStd.format(-1), strconv.Itoa(r.Tested), r.TestErr.format(-1),
			r.TestErrStd.format(-1), r.EV.format(-1), r.PaperBest.format(-1), r.PaperMean.format(-1), r.PaperStd.format(-1),
			r.StopEV.format(-1), r.ParamFree.format(-1), strings.Join(r.Builds, "; ")})
	}
	cw.Flush()
	return cw.Error()
}

// Summary is what WriteJSON writes: the table, the correlations and the
// runs it was made from.
type Summary struct {
	Rows         []Row         `json:"rows"`
	Correlations []Correlation `json:"correlations"`
	Runs         []RunSummary  `json:"runs"`
	Warnings     []string      `json:"warnings"`
}

// RunSummary is one run's line in the JSON summary.
type RunSummary struct {
	Dir        string   `json:"dir"`
	Space      string   `json:"space"`
	Dataset    string   `json:"dataset"`
	Method     string   `json:"method"`
	Setting    string   `json:"setting"`
	Seed       uint64   `json:"seed"`
	Finished   bool     `json:"finished"`
	Epochs     int      `json:"epochs"` // epochs recorded
	Epoch      int      `json:"result_epoch"`
	ValidErr   Num      `json:"valid_error"`
	TestErr    Num      `json:"test_error"`
	FinalEV    Num      `json:"final_ev"`
	StopEV     Num      `json:"es_stop_ev"`
	ParamFree  Num      `json:"param_free_normal"`
	FirstStop  *Event   `json:"first_stop,omitempty"`
	Genotype   string   `json:"genotype"`
	Retraining []string `json:"retraining"`
	// Member, SelectScore and Chosen describe an R-DARTS member.
	Member      string `json:"member,omitempty"`
	SelectScore Num    `json:"select_score"`
	Chosen      bool   `json:"chosen,omitempty"`
	// Build is Run.Build; FirstStart and LastStart the provenance records
	// behind it (LastStart only when it differs from FirstStart).
	Build      string             `json:"build"`
	FirstStart *provenance.Record `json:"first_start,omitempty"`
	LastStart  *provenance.Record `json:"last_start,omitempty"`
}

// Summarize builds the JSON summary of runs.
func Summarize(runs []*Run, warnings []string) Summary {
	s := Summary{Rows: Table(runs), Correlations: Correlations(runs), Warnings: warnings}
	if s.Rows == nil {
		s.Rows = []Row{}
	}
	if s.Correlations == nil {
		s.Correlations = []Correlation{}
	}
	if s.Warnings == nil {
		s.Warnings = []string{}
	}
	s.Runs = []RunSummary{}
	for _, r := range runs {
		rs := RunSummary{Dir: r.Dir, Space: r.Config.Space, Dataset: r.Config.Dataset, Method: r.Method(), Setting: r.Setting(),
			Seed: r.Config.Seed, Finished: r.Finished, Epochs: len(r.Epochs), Epoch: r.ResultEpoch,
			ValidErr: Num(math.NaN()), TestErr: Num(math.NaN()), FinalEV: Num(math.NaN()), Genotype: r.Genotype, Retraining: []string{},
			Member: r.MemberValue(), SelectScore: Num(math.NaN()), Chosen: r.Chosen}
		if sc, ok := r.SelectScore(); ok {
			rs.SelectScore = Num(sc)
		}
		rs.Build = r.Build()
		if p, ok := r.FirstStart(); ok {
			rs.FirstStart = &p
		}
		if p, ok := r.LastStart(); ok {
			rs.LastStart = &p
		}
		if r.Finished {
			rs.ValidErr = Num(r.ValidError)
		}
		if t, ok := r.TestError(); ok {
			rs.TestErr = Num(t)
		}
		if e, ok := r.FinalEV(); ok {
			rs.FinalEV = Num(e)
		}
		rs.StopEV, rs.ParamFree = Num(math.NaN()), Num(math.NaN())
		if e, ok := r.StopEV(); ok {
			rs.StopEV = Num(e)
		}
		if f, ok := r.ParamFreeShare(); ok {
			rs.ParamFree = Num(f)
		}
		if e, ok := r.FirstStop(); ok {
			rs.FirstStop = &e
		}
		for _, t := range r.Retrain {
			rs.Retraining = append(rs.Retraining, t.Dir)
		}
		s.Runs = append(s.Runs, rs)
	}
	return s
}

// WriteJSON writes Summarize(runs, warnings), indented.
func WriteJSON(w io.Writer, runs []*Run, warnings []string) error {
	b, err := json.MarshalIndent(Summarize(runs, warnings), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText prints rows as an aligned table, errors as mean ± std with two
// decimals, the correlations below it, and the builds that produced the
// rows' runs (Run.Build), each with the rows it made.
func WriteText(w io.Writer, rows []Row, corr []Correlation) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "space\tdataset\tmethod\tsetting\truns\tone-shot valid err %\ttest err % (n)\tfinal λ\tλ at ES stop\tparam-free normal\tpaper test err %\tpaper mean ± std")
	for _, r := range rows {
		test := "—"
		if r.Tested > 0 {
			test = fmt.Sprintf("%s (%d)", pm(r.TestErr, r.TestErrStd), r.Tested)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Space, r.Dataset, r.Method, dash(r.Setting), r.Runs,
			pm(r.ValidErr, r.ValidErrStd), test, dash(r.EV.format(4)), dash(r.StopEV.format(4)), dash(r.ParamFree.format(2)),
			dash(r.PaperBest.format(2)), pm(r.PaperMean, r.PaperStd))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range corr {
		what := "all runs"
		if c.Space != "" {
			what = c.Space + "/" + c.Dataset
		}
		fmt.Fprintf(w, "λ ↔ test error, %s (n=%d): Pearson %s, Spearman %s\n", what, c.N, dash(c.Pearson.format(3)), dash(c.Spearman.format(3)))
	}
	var order []string
	made := map[string][]string{}
	for _, r := range rows {
		for _, b := range r.Builds {
			if _, ok := made[b]; !ok {
				order = append(order, b)
			}
			made[b] = append(made[b], strings.TrimSpace(fmt.Sprintf("%s/%s %s %s", r.Space, r.Dataset, r.Method, r.Setting)))
		}
	}
	for _, b := range order {
		fmt.Fprintf(w, "build %s: %s\n", b, strings.Join(made[b], ", "))
	}
	return nil
}

func pm(m, s Num) string {
	if !m.Valid() {
		return "—"
	}
	if !s.Valid() {
		return m.format(2)
	}
	return m.format(2) + " ± " + s.format(2)
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func seedList(s []uint64) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += strconv.FormatUint(v, 10)
	}
	return out
}
