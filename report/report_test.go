package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/train"
)

var quiet = slog.New(slog.DiscardHandler)

// tinyConfig searches the 200-image Fashion-MNIST fixture in about a
// second. The ES constants make the rule fire from the second epoch on, so
// the runs hold es-stop, es-would-stop and ada-rollback events.
func tinyConfig(method string, seed uint64) search.Config {
	c := search.Defaults()
	c.Dataset, c.Data = "fashion-mnist", "../data/testdata/fashion-mnist"
	c.Space, c.Epochs, c.Layers, c.Channels, c.BatchSize, c.TrainSize = "s2", 3, 1, 4, 16, 32
	c.Order, c.HessianEvery, c.Method, c.Seed = 1, 1, method, seed
	c.ES = search.ESConfig{Window: 1, Delta: 1, Factor: 1e-3, StartEpoch: 0}
	return c
}

type fixture struct {
	base                    string
	darts1, darts2, es, ada string
	err                     error
}

var (
	fixOnce sync.Once
	fix     fixture
)

// runs makes the real run folders once per test binary: two DARTS seeds, a
// DARTS-ES run that stops, a DARTS-ADA run with rollbacks.
func runs(t *testing.T) fixture {
	t.Helper()
	fixOnce.Do(func() {
		base, err := os.MkdirTemp("", "rdarts-report-")
		if err != nil {
			fix.err = err
			return
		}
		fix.base = base
		for _, r := range []struct {
			dir    *string
			name   string
			method string
			seed   uint64
		}{
			{&fix.darts1, "darts-1", "darts", 1}, {&fix.darts2, "darts-2", "darts", 2},
			{&fix.es, "es-1", "darts-es", 1}, {&fix.ada, "ada-1", "darts-ada", 1},
		} {
			*r.dir = filepath.Join(base, r.name)
			run, err := search.NewRunner(tinyConfig(r.method, r.seed), *r.dir, fast.Backend{}, quiet)
			if err == nil {
				err = run.Start(false)
			}
			if err == nil {
				err = run.Run(context.Background())
			}
			if err != nil {
				fix.err = fmt.Errorf("%s: %w", r.name, err)
				return
			}
		}
	})
	if fix.err != nil {
		t.Fatal(fix.err)
	}
	return fix
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix.base != "" {
		os.RemoveAll(fix.base)
	}
	os.Exit(code)
}

// rawRecords reads metrics.jsonl independently of the package: every line
// as a generic object.
func rawRecords(t *testing.T, dir string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// lastOf returns the last record of an epoch in raw records.
func lastOf(recs []map[string]any, epoch int) map[string]any {
	var m map[string]any
	for _, r := range recs {
		if int(r["epoch"].(float64)) == epoch {
			m = r
		}
	}
	return m
}

func TestLoadRealRuns(t *testing.T) {
	f := runs(t)
	got, warnings := Load([]string{f.darts1, f.darts2, f.es, f.ada}, quiet)
	if len(got) != 4 || len(warnings) != 0 {
		t.Fatalf("want 4 runs and no warnings, have %d, %v", len(got), warnings)
	}
	for _, r := range got {
		recs := rawRecords(t, r.Dir)
		if len(r.Log) != len(recs) {
			t.Errorf("%s: %d records, file has %d", r.Dir, len(r.Log), len(recs))
		}
		// The trajectory is the last record per epoch.
		for _, m := range r.Epochs {
			raw := lastOf(recs, m.Epoch)
			if m.ValidAcc != raw["valid_acc"].(float64) || m.Iteration != int(raw["iteration"].(float64)) {
				t.Errorf("%s epoch %d: valid_acc %v iteration %d, file's last record %v %v", r.Dir, m.Epoch, m.ValidAcc, m.Iteration, raw["valid_acc"], raw["iteration"])
			}
		}
		// The moving average recomputed here from the file.
		var ev []float64
		for _, m := range r.Epochs {
			if v, ok := lastOf(recs, m.Epoch)["ev"].(float64); ok {
				ev = append(ev, v)
			}
		}
		sm := r.Smoothed()
		if len(sm) != len(ev) || len(ev) == 0 {
			t.Fatalf("%s: %d averages for %d eigenvalues", r.Dir, len(sm), len(ev))
		}
		w := r.Config.ES.Window / 2
		for i := range ev {
			var s float64
			n := 0
			for j := max(0, i-w); j <= min(len(ev)-1, i+w); j++ {
				s += ev[j]
				n++
			}
			if math.Abs(sm[i]-s/float64(n)) > 1e-12 {
				t.Errorf("%s: average %d = %v, want %v", r.Dir, i, sm[i], s/float64(n))
			}
		}
	}
	byDir := map[string]*Run{}
	for _, r := range got {
		byDir[r.Dir] = r
	}
	es := byDir[f.es]
	if e, ok := es.FirstStop(); !ok || e.Kind != "es-stop" || es.ResultEpoch != e.StopEpoch {
		t.Errorf("DARTS-ES run: first stop %+v %v, result epoch %d", e, ok, es.ResultEpoch)
	}
	ada := byDir[f.ada]
	rollbacks := 0
	for _, e := range ada.Events() {
		if e.Kind == "ada-rollback" {
			rollbacks++
		}
	}
	if rollbacks != 2 || len(ada.Log) <= len(ada.Epochs) || math.Abs(ada.Epochs[len(ada.Epochs)-1].WeightDecay-3e-2) > 1e-12 {
		t.Errorf("DARTS-ADA run: %d rollbacks, %d records for %d epochs, final weight decay %v; want 2 rollbacks to 0.03",
			rollbacks, len(ada.Log), len(ada.Epochs), ada.Epochs[len(ada.Epochs)-1].WeightDecay)
	}
	if d := byDir[f.darts1]; d.Method() != "DARTS" || d.Setting() != "1st order" {
		t.Errorf("method %q setting %q", d.Method(), d.Setting())
	}
}

// TestTableMatchesMetrics checks every number of the table against the
// runs' own files.
func TestTableMatchesMetrics(t *testing.T) {
	f := runs(t)
	got, _ := Load([]string{f.darts1, f.darts2, f.es, f.ada}, quiet)
	rows := Table(got)
	if len(rows) != 3 {
		t.Fatalf("want rows DARTS, DARTS-ES, DARTS-ADA, have %+v", rows)
	}
	want := map[string][]string{"DARTS": {f.darts1, f.darts2}, "DARTS-ES": {f.es}, "DARTS-ADA": {f.ada}}
	for _, row := range rows {
		dirs := want[row.Method]
		var valid, ev []float64
		for _, dir := range dirs {
			var res struct {
				Epoch      int     `json:"epoch"`
				ValidError float64 `json:"valid_error"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "result.json"))
			if err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(b, &res)
			recs := rawRecords(t, dir)
			rec := lastOf(recs, res.Epoch)
			if v := 100 - rec["valid_acc"].(float64); v != res.ValidError {
				t.Errorf("%s: result.json valid_error %v, metrics.jsonl epoch %d gives %v", dir, res.ValidError, res.Epoch, v)
			}
			valid = append(valid, 100-rec["valid_acc"].(float64))
			ev = append(ev, rec["ev"].(float64)) // hessian every epoch: the result epoch has one
		}
		mv, sv := MeanStd(valid)
		me, _ := MeanStd(ev)
		if len(dirs) == 1 {
			sv = math.NaN() // no spread of one run
		}
		if row.Runs != len(dirs) || float64(row.ValidErr) != mv || !sameNum(float64(row.ValidErrStd), sv) || math.Abs(float64(row.EV)-me) > 1e-12 {
			t.Errorf("%s: row %+v, want runs %d valid %v ± %v, λ %v", row.Method, row, len(dirs), mv, sv, me)
		}
		if row.Tested != 0 || row.TestErr.Valid() || row.PaperBest.Valid() {
			t.Errorf("%s: no retraining and no paper numbers for Fashion-MNIST, have %+v", row.Method, row)
		}
	}
	if len(rows[0].Seeds) != 2 || rows[0].Method != "DARTS" {
		t.Errorf("first row %+v", rows[0])
	}

	// CSV and JSON carry the same numbers.
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 1+len(rows) {
		t.Fatalf("csv: %v, %d lines", err, len(recs))
	}
	col := slices.Index(recs[0], "valid_error_mean")
	for i, row := range rows {
		if v, _ := strconv.ParseFloat(recs[i+1][col], 64); v != float64(row.ValidErr) {
			t.Errorf("csv row %d: %v, want %v", i, v, row.ValidErr)
		}
		if recs[i+1][slices.Index(recs[0], "test_error_mean")] != "" {
			t.Errorf("csv row %d: missing test error should be empty", i)
		}
	}
	buf.Reset()
	if err := WriteJSON(&buf, got, nil); err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(buf.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 3 || s.Rows[1].ValidErr != rows[1].ValidErr || s.Rows[1].TestErr.Valid() || len(s.Runs) != 4 {
		t.Errorf("json round trip: %+v", s.Rows)
	}
	buf.Reset()
	if err := WriteText(&buf, rows, nil); err != nil || !strings.Contains(buf.String(), "DARTS-ADA") {
		t.Errorf("text: %v\n%s", err, buf.String())
	}
}

// broken makes half-written copies of a real run.
func broken(t *testing.T, src string) (truncated, noConfig, missing string) {
	base := t.TempDir()
	truncated, noConfig, missing = filepath.Join(base, "truncated"), filepath.Join(base, "noconfig"), filepath.Join(base, "missing")
	for _, dir := range []string{truncated, noConfig} {
		os.MkdirAll(dir, 0o755)
		for _, name := range []string{"config.json", "metrics.jsonl", "result.json", "genotype.txt"} {
			b, _ := os.ReadFile(filepath.Join(src, name))
			os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
	}
	b, _ := os.ReadFile(filepath.Join(truncated, "metrics.jsonl"))
	os.WriteFile(filepath.Join(truncated, "metrics.jsonl"), b[:len(b)-40], 0o644) // the last line cut short
	os.Remove(filepath.Join(noConfig, "config.json"))
	return
}

func TestBrokenFoldersSkipped(t *testing.T) {
	f := runs(t)
	truncated, noConfig, missing := broken(t, f.darts1)
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	got, warnings := Load([]string{truncated, f.darts2, noConfig, missing}, log)
	if len(got) != 1 || got[0].Dir != f.darts2 {
		t.Fatalf("want only %s, have %d runs", f.darts2, len(got))
	}
	if len(warnings) != 3 {
		t.Fatalf("want 3 warnings, have %q", warnings)
	}
	for i, dir := range []string{truncated, noConfig, missing} {
		if !strings.Contains(warnings[i], dir) || !strings.Contains(logBuf.String(), dir) {
			t.Errorf("warning %q (and the log) should name %s", warnings[i], dir)
		}
	}
	if !strings.Contains(warnings[0], "metrics.jsonl line 3") {
		t.Errorf("truncation warning should name the file and line: %q", warnings[0])
	}
	// And the whole report still gets written.
	out := t.TempDir()
	if _, err := WriteHTML(got, warnings, Options{Out: out, Dot: "none"}); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(out, "index.html"))
	if !strings.Contains(string(page), filepath.Base(truncated)) {
		t.Error("the page should list the warnings")
	}
}

// writeRetrain writes a retraining folder as rdarts train does:
// result.json, metrics.jsonl with a test curve, and config.json naming
// where the genotype came from (source, "" for none).
func writeRetrain(t *testing.T, dir string, testErr float64, genotype, source string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	res, _ := json.Marshal(train.Result{Genotype: genotype, Epochs: 3, TestError: testErr, TestAcc: 100 - testErr})
	os.WriteFile(filepath.Join(dir, "result.json"), res, 0o644)
	var lines []byte
	for e := range 3 {
		l, _ := json.Marshal(train.Metrics{Epoch: e, TrainAcc: 50 + 10*float64(e), TestAcc: 100 - testErr - 5*float64(2-e), TestLoss: 1.0 / float64(e+1)})
		lines = append(append(lines, l...), '\n')
	}
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), lines, 0o644)
	c := train.Defaults()
	c.Genotype, c.GenotypeSource, c.Epochs = genotype, source, 3
	b, _ := json.Marshal(c)
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
}

// orphanGenotype is a retraining's genotype that no search run found.
const orphanGenotype = "Genotype(normal=[('max_pool_3x3', 0), ('max_pool_3x3', 1)], normal_concat=range(2, 3), reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=range(2, 3))"

func genotypeOf(dir string) string {
	g, _ := os.ReadFile(filepath.Join(dir, "genotype.txt"))
	return strings.TrimSpace(string(g))
}

// TestHTMLReport writes the full report with retraining results attached
// three ways and checks the page: every image it names exists and decodes,
// every image written is named, the results files are there.
func TestHTMLReport(t *testing.T) {
	f := runs(t)
	// Copies, so the fixture stays free of retraining results.
	base := t.TempDir()
	var dirs []string
	for _, src := range []string{f.darts1, f.darts2, f.es, f.ada} {
		dst := filepath.Join(base, filepath.Base(src))
		os.MkdirAll(dst, 0o755)
		for _, name := range []string{"config.json", "metrics.jsonl", "result.json", "genotype.txt"} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dst, name), b, 0o644)
		}
		dirs = append(dirs, dst)
	}
	writeRetrain(t, filepath.Join(dirs[0], "retrain"), 12.5, orphanGenotype, "")        // inside the search folder
	writeRetrain(t, filepath.Join(base, "train-2"), 11.0, genotypeOf(dirs[1]), dirs[1]) // names the search folder
	// Matched by genotype: the first of the ADA and ES runs whose result no
	// other run shares.
	genotypes := map[string]int{}
	for _, d := range dirs {
		g, _ := os.ReadFile(filepath.Join(d, "genotype.txt"))
		genotypes[strings.TrimSpace(string(g))]++
	}
	byGenotype := -1
	var unique string
	for _, i := range []int{3, 2} {
		g, _ := os.ReadFile(filepath.Join(dirs[i], "genotype.txt"))
		if genotypes[strings.TrimSpace(string(g))] == 1 {
			byGenotype, unique = i, strings.TrimSpace(string(g))
			break
		}
	}
	if byGenotype < 0 {
		t.Fatal("the fixture's ADA and ES runs share their genotype with another run")
	}
	writeRetrain(t, filepath.Join(base, "train-g"), 14.0, unique, "")
	writeRetrain(t, filepath.Join(base, "train-orphan"), 9.0, orphanGenotype, "")
	// A retraining still running: config.json, no result.json yet.
	writeRetrain(t, filepath.Join(base, "train-running"), 10.0, unique, "")
	os.Remove(filepath.Join(base, "train-running", "result.json"))
	args := append(slices.Clone(dirs), filepath.Join(base, "train-2"), filepath.Join(base, "train-g"), filepath.Join(base, "train-running"), filepath.Join(base, "train-orphan"))
	got, warnings := Load(args, quiet)
	if len(got) != 4 {
		t.Fatalf("want 4 runs, have %d (%q)", len(got), warnings)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "train-running") || !strings.Contains(warnings[0], "retraining unfinished") ||
		!strings.Contains(warnings[1], "train-orphan") || !strings.Contains(warnings[1], "matches none") {
		t.Errorf("want a warning about the unfinished train-running and one about the unmatched train-orphan, have %q", warnings)
	}
	wantTest := []float64{12.5, 11.0, math.NaN(), math.NaN()}
	wantTest[byGenotype] = 14
	for i, r := range got {
		te, ok := r.TestError()
		if ok != !math.IsNaN(wantTest[i]) || ok && te != wantTest[i] {
			t.Errorf("%s: test error %v %v, want %v", r.Dir, te, ok, wantTest[i])
		}
	}
	corr := Correlations(got)
	if len(corr) != 2 || corr[0].N != 3 || corr[1].N != 3 {
		t.Fatalf("want the overall correlation and one for s2/fashion-mnist over 3 runs, have %+v", corr)
	}
	var ev []float64
	for _, i := range []int{0, 1, byGenotype} {
		e, _ := got[i].FinalEV()
		ev = append(ev, e)
	}
	if p := Pearson(ev, []float64{12.5, 11, 14}); float64(corr[0].Pearson) != p {
		t.Errorf("Pearson %v, want %v", corr[0].Pearson, p)
	}
	rows := Table(got)
	if rows[0].Method != "DARTS" || rows[0].Tested != 2 || float64(rows[0].TestErr) != 11.75 || math.Abs(float64(rows[0].TestErrStd)-math.Sqrt(2*0.75*0.75)) > 1e-12 {
		t.Errorf("DARTS row %+v: want test error 11.75 ± %v over 2", rows[0], math.Sqrt(2*0.75*0.75))
	}

	// Graphviz if installed, else the fallback drawing (see
	// TestCellDrawingWithoutGraphviz).
	out := filepath.Join(t.TempDir(), "report")
	added, err := WriteHTML(got, warnings, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warnings %q", added)
	checkPage(t, out)
}

var srcRE = regexp.MustCompile(`(?:src|href)="([^"#]+)"`)

func checkPage(t *testing.T, out string) {
	t.Helper()
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xmlWellFormedEnough(page); err != nil {
		t.Errorf("index.html: %v", err)
	}
	named := map[string]bool{}
	for _, m := range srcRE.FindAllSubmatch(page, -1) {
		ref := string(m[1])
		if strings.Contains(ref, "://") || strings.HasPrefix(ref, "/") {
			t.Errorf("index.html refers outside the report: %s", ref)
			continue
		}
		named[ref] = true
		path := filepath.Join(out, filepath.FromSlash(ref))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("index.html names %s: %v", ref, err)
			continue
		}
		switch filepath.Ext(ref) {
		case ".png":
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("%s: %v", ref, err)
			}
		case ".svg":
			if err := parseXML(b); err != nil {
				t.Errorf("%s: %v", ref, err)
			}
		}
	}
	imgs, _ := os.ReadDir(filepath.Join(out, "img"))
	var kinds []string
	for _, e := range imgs {
		if !named["img/"+e.Name()] {
			t.Errorf("img/%s is written but the page does not show it", e.Name())
		}
		kinds = append(kinds, regexp.MustCompile(`^run\d+-|-\d+.*$|\.\w+$`).ReplaceAllString(e.Name(), ""))
	}
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	want := []string{"alpha-normal", "alpha-reduce", "cell-normal", "cell-reduction", "curves", "eigen", "paramfree", "retrain", "scatter"}
	if !slices.Equal(kinds, want) {
		t.Errorf("image kinds %v, want %v", kinds, want)
	}
	for _, name := range []string{"results.csv", "results.json"} {
		if !named[name] {
			t.Errorf("page does not link %s", name)
		}
	}
}

func parseXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	root := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok && !root {
			if se.Name.Local != "svg" {
				return fmt.Errorf("root element %s, want svg", se.Name.Local)
			}
			root = true
		}
	}
	if !root {
		return fmt.Errorf("no svg element")
	}
	return nil
}

// xmlWellFormedEnough checks the page's tags balance, ignoring the void
// elements HTML allows unclosed.
func xmlWellFormedEnough(page []byte) error {
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestMatchAmbiguousGenotype(t *testing.T) {
	g := "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1)], normal_concat=range(2, 3), reduce=[('skip_connect', 0), ('skip_connect', 1)], reduce_concat=range(2, 3))"
	a, b := &Run{Dir: "a", abs: "/x/a", Genotype: g}, &Run{Dir: "b", abs: "/x/b", Genotype: g}
	tr := &Retrain{Dir: "t", abs: "/y/t", Genotype: g}
	if r, why := match(tr, []*Run{a, b}); r != nil || !strings.Contains(why, "ambiguous") {
		t.Errorf("two runs with one genotype: %v %q", r, why)
	}
	if r, _ := match(tr, []*Run{a}); r != a {
		t.Errorf("one run: %v", r)
	}
	tr.source = "/x/b/genotype.txt"
	if r, _ := match(tr, []*Run{a, b}); r != b {
		t.Errorf("a reference to b's genotype.txt: %v", r)
	}
}

func TestCorrelation(t *testing.T) {
	// Hand-computed: ranks of x are 1, 2.5, 2.5, 4; of y 1, 3, 2, 4;
	// Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5/√22.5 (scipy.stats.spearmanr gives 0.9486832980505138).
	x, y := []float64{1, 2, 2, 3}, []float64{1, 3, 2, 4}
	if got := Ranks(x); !slices.Equal(got, []float64{1, 2.5, 2.5, 4}) {
		t.Errorf("ranks %v", got)
	}
	if got, want := Spearman(x, y), 4.5/math.Sqrt(22.5); math.Abs(got-want) > 1e-15 || math.Abs(got-0.9486832980505138) > 1e-15 {
		t.Errorf("Spearman %v, want %v", got, want)
	}
	// x = 1..4, y = 2, 4, 5, 9: Σdxdy = 11, Σdx² = 5, Σdy² = 26 → 11/√130.
	if got, want := Pearson([]float64{1, 2, 3, 4}, []float64{2, 4, 5, 9}), 11/math.Sqrt(130); math.Abs(got-want) > 1e-15 {
		t.Errorf("Pearson %v, want %v", got, want)
	}
	// Three-way tie, reversed order.
	if got := Ranks([]float64{5, 1, 5, 5, 0}); !slices.Equal(got, []float64{4, 2, 4, 4, 1}) {
		t.Errorf("ranks %v", got)
	}
	if !math.IsNaN(Pearson([]float64{1, 1}, []float64{1, 2})) || !math.IsNaN(Spearman([]float64{1}, []float64{2})) {
		t.Error("constant or single-point input should give NaN")
	}
	m, s := MeanStd([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if m != 5 || math.Abs(s-math.Sqrt(32.0/7)) > 1e-15 {
		t.Errorf("mean %v std %v", m, s)
	}
}

func TestSmoothedHandComputed(t *testing.T) {
	// λ = 1, 2, 3, 4, 5, 10 every 2 epochs, window 5: centred means of ±2
	// evaluations truncated at both ends.
	want := []float64{2, 2.5, 3, 4.8, 5.5, 19.0 / 3}
	r := &Run{Config: search.Defaults()}
	for i, v := range []float64{1, 2, 3, 4, 5, 10} {
		r.Epochs = append(r.Epochs, search.Metrics{Epoch: 2 * i, EV: &v})
		r.Epochs = append(r.Epochs, search.Metrics{Epoch: 2*i + 1}) // not evaluated
	}
	got := r.Smoothed()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("averages %v, want %v", got, want)
		}
	}
	// Without logged events the ES rule is replayed on the series: with the
	// defaults nothing fires this early.
	if _, ok := r.FirstStop(); ok {
		t.Error("no stop expected")
	}
}

func TestPaperNumbers(t *testing.T) {
	for _, c := range []struct {
		dataset, space, method string
		best, mean, std        float64
	}{
		{"cifar10", "s1", "R-DARTS(L2)", 2.78, 0, 0},
		{"cifar10", "s3", "DARTS-ES", 2.74, 3.71, 1.14},
		{"svhn", "s4", "DARTS-ADA", 2.46, 0, 0},
		{"cifar100", "s2", "DARTS", 26.05, 28.75, 0.92},
		{"cifar100", "darts", "R-DARTS(L2)", 0, 18.01, 0.26},
	} {
		p, ok := PaperResult(c.dataset, c.space, c.method)
		if !ok || p.Best != c.best || p.Mean != c.mean || p.Std != c.std {
			t.Errorf("%v: have %+v %v", c, p, ok)
		}
	}
	if _, ok := PaperResult("fashion-mnist", "s2", "DARTS"); ok {
		t.Error("no paper numbers for Fashion-MNIST")
	}
	// Every cell of the main table is there: 12 rows × 6 methods.
	n := 0
	for _, ds := range []string{"cifar10", "cifar100", "svhn"} {
		for _, sp := range []string{"s1", "s2", "s3", "s4"} {
			for _, m := range paperMethods {
				if p, ok := PaperResult(ds, sp, m); ok && p.Best > 0 {
					n++
				}
			}
		}
	}
	if n != 72 {
		t.Errorf("%d main-table numbers, want 72", n)
	}
}

func TestMethodOf(t *testing.T) {
	c := search.Defaults()
	for _, tc := range []struct {
		edit            func(*search.Config)
		method, setting string
	}{
		{func(c *search.Config) {}, "DARTS", ""},
		{func(c *search.Config) { c.WeightDecay = 0.0081 }, "DARTS", "wd=0.0081"},
		{func(c *search.Config) { c.DropPath = 0.2 }, "DARTS", "dp=0.2"},
		{func(c *search.Config) { c.WeightDecay, c.Member = 0.0081, &search.Member{Family: "l2", Value: 0.0081} }, "R-DARTS(L2)", ""},
		{func(c *search.Config) { c.Member = &search.Member{Family: "l2", Value: 3e-4} }, "R-DARTS(L2)", ""},
		{func(c *search.Config) { c.DropPath, c.Member = 0.2, &search.Member{Family: "dp", Value: 0.2} }, "R-DARTS(DP)", ""},
		{func(c *search.Config) { c.Method = "darts-es"; c.Order = 1 }, "DARTS-ES", "1st order"},
		{func(c *search.Config) { c.Method = "darts-es"; c.ESSimulate = true }, "DARTS", "ES simulated"},
		{func(c *search.Config) { c.Method = "darts-ada" }, "DARTS-ADA", ""},
		{func(c *search.Config) { c.Method = "rs-ws" }, "RS-ws", ""},
	} {
		cc := c
		tc.edit(&cc)
		if m, s := MethodOf(cc); m != tc.method || s != tc.setting {
			t.Errorf("have %q %q, want %q %q", m, s, tc.method, tc.setting)
		}
	}
}

func TestParamFreeWeight(t *testing.T) {
	sp := mustSpace(t, "s3") // none, skip_connect, sep_conv_3x3 on all 14 edges
	w := make([][]float64, 14)
	for i := range w {
		w[i] = []float64{0.1, 0.2, 0.7}
	}
	w[0] = []float64{0.5, 0.5, 0}
	got, ok := ParamFreeWeight(sp, false, w)
	if want := (13*0.3 + 1) / 14; !ok || math.Abs(got-want) > 1e-12 {
		t.Errorf("%v %v, want %v", got, ok, want)
	}
	if _, ok := ParamFreeWeight(sp, false, w[:3]); ok {
		t.Error("a wrong shape should be refused")
	}
}

func TestCellDrawingWithoutGraphviz(t *testing.T) {
	f := runs(t)
	got, _ := Load([]string{f.darts1}, quiet)
	out := t.TempDir()
	added, err := WriteHTML(got, nil, Options{Out: out, Dot: filepath.Join(out, "no-such-dot")})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || !strings.Contains(added[0], "drawn without Graphviz") {
		t.Errorf("want a warning per cell naming the failed dot, have %q", added)
	}
	names, _ := filepath.Glob(filepath.Join(out, "img", "*.svg"))
	sort.Strings(names)
	if len(names) != 2 {
		t.Fatalf("cells %v", names)
	}
	for _, n := range names {
		b, _ := os.ReadFile(n)
		if err := parseXML(b); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if !bytes.Contains(b, []byte("c_{k-2}")) {
			t.Errorf("%s: no input node", n)
		}
	}
}

func sameNum(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func mustSpace(t *testing.T, name string) space.Space {
	t.Helper()
	sp, err := space.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestRDARTSSelection: members of one group, the selection retraining
// attached as a score (not a test error), the best score chosen, and the
// table's R-DARTS row made of the chosen member only.
func TestRDARTSSelection(t *testing.T) {
	member := func(v, validErr, selectErr, testErr float64) *Run {
		c := search.Defaults()
		c.Space, c.Dataset, c.WeightDecay, c.Member = "s2", "fashion-mnist", v, &search.Member{Family: "l2", Value: v}
		r := &Run{Config: c, Finished: true, ValidError: validErr}
		r.Select = &Retrain{EvalSet: "train[100:200]", TestError: selectErr}
		if testErr > 0 {
			r.Retrain = []*Retrain{{EvalSet: "test", TestError: testErr}}
		}
		return r
	}
	a, b, c := member(3e-4, 10, 30, 0), member(2.7e-3, 14, 20, 12), member(8.1e-3, 18, 25, 0)
	runs := []*Run{a, b, c}
	markChosen(runs)
	if a.Chosen || !b.Chosen || c.Chosen {
		t.Fatalf("chosen %v %v %v, want the best selection score (2.7e-3), not the best one-shot error (3e-4)", a.Chosen, b.Chosen, c.Chosen)
	}
	rows := Table(runs)
	if len(rows) != 1 || rows[0].Method != "R-DARTS(L2)" || rows[0].Runs != 1 || float64(rows[0].TestErr) != 12 || float64(rows[0].ValidErr) != 14 {
		t.Errorf("rows %+v", rows)
	}
	sum := Summarize(runs, nil)
	if sum.Runs[1].Member != "wd=0.0027" || float64(sum.Runs[1].SelectScore) != 80 || !sum.Runs[1].Chosen {
		t.Errorf("summary %+v", sum.Runs[1])
	}
}

func TestParamFreeShareAndStopEV(t *testing.T) {
	g := "Genotype(normal=[('skip_connect', 0), ('sep_conv_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 1)], normal_concat=range(2, 4), reduce=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1)], reduce_concat=range(2, 4))"
	r := &Run{Genotype: g}
	if f, ok := r.ParamFreeShare(); !ok || f != 0.75 {
		t.Errorf("param-free share %v %v, want 3 of 4", f, ok)
	}
	ev := func(x float64) *float64 { return &x }
	r.Config = search.Defaults()
	r.Log = []search.Metrics{{Epoch: 0, EV: ev(1)}, {Epoch: 2, EV: ev(2)}, {Epoch: 4, EV: ev(5), Event: &search.Event{Kind: search.EventESWouldStop, Epoch: 2}}}
	r.Epochs = r.Log
	if e, ok := r.StopEV(); !ok || e != 2 {
		t.Errorf("λ at the stop epoch: %v %v, want 2 (epoch 2)", e, ok)
	}
}

// TestCorrelationsCountAnArchitectureOnce: a copied run (same genotype,
// eigenvalue and test error) adds no point; a different one does.
func TestCorrelationsCountAnArchitectureOnce(t *testing.T) {
	run := func(g string, ev, testErr float64) *Run {
		r := &Run{Config: search.Defaults(), Finished: true, Genotype: g, ResultEpoch: 0}
		r.Config.Space, r.Config.Dataset = "s1", "fashion-mnist"
		r.Epochs = []search.Metrics{{Epoch: 0, EV: &ev}}
		r.Log = r.Epochs
		r.Retrain = []*Retrain{{TestError: testErr}}
		return r
	}
	runs := []*Run{run("a", 0.7, 11), run("a", 0.7, 11), run("b", 0.4, 10), run("c", 0.2, 12)}
	c := Correlations(runs)
	if len(c) != 2 || c[0].N != 3 || c[1].N != 3 {
		t.Fatalf("correlations %+v, want 3 points each", c)
	}
}
