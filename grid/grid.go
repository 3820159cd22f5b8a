// Package grid expands a study (spaces × datasets × methods × seeds, with
// budgets) into tasks and runs them on this machine or as Slurm job arrays.
//
// A task is one `rdarts search` or one `rdarts train` run with its own run
// folder. Its id is a readable slug of the parameters that vary across the
// grid (space, dataset, method, R-DARTS member, seed), for example
// s2_cifar10_r-darts-l2_wd0.0009_seed1: it does not depend on the order of
// the lists or on what else the grid holds, so adding a seed or a space
// never renames a task. Budgets (epochs, layers, …) are not part of the id;
// a run folder whose config.json disagrees with the grid file is refused
// rather than silently continued.
//
// Layout under the grid's out folder:
//
//	search/<id>/        the search run folders (config.json, metrics.jsonl, result.json, …)
//	select/<id>/        R-DARTS members' selection retrainings (scored on held-out images)
//	retrain/<id>/       the retraining run folders
//	logs/<stage>/<id>.log     the output of the task's process
//	logs/<stage>/<id>.failed  present while the last attempt failed (the error)
//	slurm/              the sbatch scripts, their index → id lists, jobs.jsonl, Slurm's own logs
//
// A search whose settings equal an earlier one's but for the R-DARTS label
// (R-DARTS(L2)'s default-decay member is the DARTS run of its seed) is not
// searched twice: it copies the earlier run once that has finished. A
// DARTS-ES search listed after DARTS with the same settings (hessian_every
// set in search:) is simulated on the DARTS run: the DARTS run up to where
// the rule first fires, as the paper evaluates DARTS-ES.
//
// A task is finished when its run folder holds result.json; it is resumed
// (--resume) when the folder holds checkpoint.gob. Nothing here modifies the
// parsed File or the search.Config values handed in.
package grid

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rdarts/rdarts/internal/settings"
	"github.com/rdarts/rdarts/robust"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/train"
)

// Methods are the method names a grid file accepts.
var Methods = []string{"darts", "darts-es", "darts-ada", "r-darts-l2", "r-darts-dp", "rs-ws"}

// The R-DARTS regularisation grids of the paper (docs/method.md, R-DARTS).
var (
	DefaultL2Grid = []float64{3e-4, 9e-4, 2.7e-3, 8.1e-3}
	DefaultDPGrid = []float64{0, 0.2, 0.4, 0.6}
)

// DefaultHessianEvery is what DARTS-ES and DARTS-ADA get when the grid
// does not set hessian_every (the reference's scripts use 2).
const DefaultHessianEvery = 2

// Stages of a task.
const (
	StageSearch  = "search"
	StageSelect  = "select" // R-DARTS: a member's short retraining for selection
	StageRetrain = "retrain"
)

// Stages lists the stages in the order they run.
var Stages = []string{StageSearch, StageSelect, StageRetrain}

// File is a parsed grid file.
type File struct {
	Path string // the grid file, absolute
	// Out is the output root, absolute (relative paths in the file are
	// relative to the file's folder).
	Out      string
	Spaces   []string
	Datasets []string
	Methods  []string
	Seeds    []uint64
	// SpaceSeeds replaces Seeds for the spaces it names (a study that
	// repeats some spaces more often than others).
	SpaceSeeds map[string][]uint64
	// Data maps a dataset to the folder of its files (absolute).
	Data map[string]string
	// Search is the base search configuration: search.Defaults() with the
	// file's search: section applied.
	Search    search.Config
	Overrides []Override
	L2Grid    []float64
	DPGrid    []float64

	Retrain bool
	// RetrainMembers is "selected" (one retraining per space, dataset,
	// method and seed; R-DARTS retrains its member with the best one-shot
	// validation accuracy) or "all" (every search is retrained).
	RetrainMembers string
	// Train is the retraining protocol: rdarts train's defaults with the
	// file's train: section (keys or flag names) decoded onto them; each
	// retrain task adds its genotype, dataset, data and seed.
	Train train.Config
	// Select is how R-DARTS chooses its member; with robust.RuleRetrain
	// every member gets a select task scoring it after SelectBudget.
	Select       robust.Rule
	SelectBudget robust.Budget
}

// rawSelect is the grid file's select: section.
type rawSelect struct {
	Rule          string `yaml:"rule"`
	robust.Budget `yaml:",inline"`
}

// Override sets search fields for the tasks it matches; an empty selector
// matches everything. Overrides apply in file order after the base.
type Override struct {
	Space, Dataset, Method string
	Set                    yaml.Node
}

// raw is the file as written; yaml.Node keeps partial configs for strict
// decoding onto a full one.
type raw struct {
	Out            string              `yaml:"out"`
	Spaces         []string            `yaml:"spaces"`
	Datasets       []string            `yaml:"datasets"`
	Methods        []string            `yaml:"methods"`
	Seeds          []uint64            `yaml:"seeds"`
	SpaceSeeds     map[string][]uint64 `yaml:"space_seeds"`
	Data           map[string]string   `yaml:"data"`
	Search         yaml.Node           `yaml:"search"`
	Overrides      []rawOverride       `yaml:"overrides"`
	L2Grid         []float64           `yaml:"l2_grid"`
	DPGrid         []float64           `yaml:"dp_grid"`
	Retrain        bool                `yaml:"retrain"`
	RetrainMembers string              `yaml:"retrain_members"`
	Train          yaml.Node           `yaml:"train"`
	Select         yaml.Node           `yaml:"select"`
}

type rawOverride struct {
	Space   string    `yaml:"space"`
	Dataset string    `yaml:"dataset"`
	Method  string    `yaml:"method"`
	Set     yaml.Node `yaml:"set"`
}

// gridOwned are search fields the grid sets per task; a search: section or
// an override may not set them.
var gridOwned = map[string]string{
	"space": "spaces", "dataset": "datasets", "method": "methods", "seed": "seeds", "data": "data",
}

// Load reads and parses a grid file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(b, filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = abs
	return f, nil
}

// Parse parses a grid file's text; relative paths are taken relative to
// dir. Unknown keys and bad values give one error naming the field.
func Parse(text []byte, dir string) (*File, error) {
	var r raw
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("grid file: %s", yamlFirst(err))
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
	f := &File{Spaces: r.Spaces, Datasets: r.Datasets, Methods: r.Methods, Seeds: r.Seeds,
		Retrain: r.Retrain, RetrainMembers: r.RetrainMembers, L2Grid: r.L2Grid, DPGrid: r.DPGrid,
		Data: map[string]string{}, Train: train.Defaults()}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(dir, p)
	}
	if r.Out == "" {
		return nil, bad("out", "missing: the folder that receives the grid's run folders")
	}
	f.Out = abs(r.Out)
	for _, l := range []struct {
		name string
		n    int
	}{{"spaces", len(r.Spaces)}, {"datasets", len(r.Datasets)}, {"methods", len(r.Methods)}, {"seeds", len(r.Seeds)}} {
		if l.n == 0 {
			return nil, bad(l.name, "missing or empty: list at least one")
		}
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"spaces", r.Spaces}, {"datasets", r.Datasets}, {"methods", r.Methods}} {
		if d := firstDup(l.list); d != "" {
			return nil, bad(l.name, "%q is listed twice", d)
		}
	}
	if slices.Contains(r.Spaces, "rnn") {
		return nil, bad("spaces", "rnn: a grid takes the convolutional spaces (darts, s1–s5); R-DARTS(L2) on the recurrent cell is rdarts robust --space rnn")
	}
	for _, sp := range slices.Sorted(maps.Keys(r.SpaceSeeds)) {
		seeds := r.SpaceSeeds[sp]
		switch {
		case !slices.Contains(r.Spaces, sp):
			return nil, bad("space_seeds."+sp, "space %s is not in spaces", sp)
		case len(seeds) == 0:
			return nil, bad("space_seeds."+sp, "empty: list at least one seed")
		}
		for i, s := range seeds {
			if slices.Contains(seeds[:i], s) {
				return nil, bad("space_seeds."+sp, "%d is listed twice", s)
			}
		}
	}
	f.SpaceSeeds = r.SpaceSeeds
	for i, s := range r.Seeds {
		if slices.Contains(r.Seeds[:i], s) {
			return nil, bad("seeds", "%d is listed twice", s)
		}
	}
	for _, m := range r.Methods {
		if !slices.Contains(Methods, m) {
			return nil, bad("methods", "%q is not one of %s", m, strings.Join(Methods, ", "))
		}
	}
	for _, d := range r.Datasets {
		dir, ok := r.Data[d]
		if !ok || dir == "" {
			return nil, bad("data", "no folder for dataset %s (add data: {%s: DIR})", d, d)
		}
		f.Data[d] = abs(dir)
	}
	for _, d := range slices.Sorted(maps.Keys(r.Data)) {
		if !slices.Contains(r.Datasets, d) {
			return nil, bad("data."+d, "dataset %s is not in datasets", d)
		}
	}
	f.Search = search.Defaults()
	if err := decodeOnto(&r.Search, &f.Search, "search"); err != nil {
		return nil, err
	}
	for i, o := range r.Overrides {
		field := fmt.Sprintf("overrides[%d]", i)
		switch {
		case o.Space != "" && !slices.Contains(r.Spaces, o.Space):
			return nil, bad(field+".space", "%q is not in spaces", o.Space)
		case o.Dataset != "" && !slices.Contains(r.Datasets, o.Dataset):
			return nil, bad(field+".dataset", "%q is not in datasets", o.Dataset)
		case o.Method != "" && !slices.Contains(r.Methods, o.Method):
			return nil, bad(field+".method", "%q is not in methods", o.Method)
		case o.Set.Kind == 0:
			return nil, bad(field+".set", "missing: the search fields to set")
		}
		// Check the keys now, whatever the tasks they match.
		probe := search.Defaults()
		if err := decodeOnto(&o.Set, &probe, field+".set"); err != nil {
			return nil, err
		}
		f.Overrides = append(f.Overrides, Override{Space: o.Space, Dataset: o.Dataset, Method: o.Method, Set: o.Set})
	}
	if f.L2Grid == nil {
		f.L2Grid = DefaultL2Grid
	}
	if f.DPGrid == nil {
		f.DPGrid = DefaultDPGrid
	}
	for _, g := range []struct {
		name string
		v    []float64
		ok   func(float64) bool
		want string
	}{
		{"l2_grid", f.L2Grid, func(x float64) bool { return x >= 0 }, "≥ 0"},
		{"dp_grid", f.DPGrid, func(x float64) bool { return x >= 0 && x < 1 }, "in [0, 1)"},
	} {
		if len(g.v) == 0 {
			return nil, bad(g.name, "empty: list at least one value")
		}
		for i, x := range g.v {
			if !g.ok(x) {
				return nil, bad(g.name, "%g must be %s", x, g.want)
			}
			if slices.Contains(g.v[:i], x) {
				return nil, bad(g.name, "%g is listed twice", x)
			}
		}
	}
	sel := rawSelect{Rule: string(robust.RuleRetrain), Budget: robust.DefaultBudget()}
	if r.Select.Kind != 0 {
		if r.Select.Kind != yaml.MappingNode {
			return nil, bad("select", "line %d: must be a mapping (rule, epochs, layers, …)", r.Select.Line)
		}
		if err := settings.DecodeNode(&r.Select, &sel, "not a select setting"); err != nil {
			return nil, settings.In("select", err)
		}
	}
	rule, err := robust.ParseRule(sel.Rule)
	if err != nil {
		return nil, bad("select.rule", "%v", err)
	}
	if err := sel.Budget.Validate(); err != nil {
		return nil, bad("select", "%v", err)
	}
	f.Select, f.SelectBudget = rule, sel.Budget
	switch f.RetrainMembers {
	case "":
		f.RetrainMembers = "selected"
	case "selected", "all":
	default:
		return nil, bad("retrain_members", "%q is not one of selected, all", f.RetrainMembers)
	}
	if !f.Retrain && (r.Train.Kind != 0 || r.RetrainMembers != "") {
		return nil, bad("train", "set but retrain is false: set retrain: true or remove it")
	}
	if err := f.parseTrain(&r.Train); err != nil {
		return nil, err
	}
	return f, nil
}

// parseTrain decodes the train: section, settings of `rdarts train`
// written as keys or flag names, onto f.Train; the settings each task
// sets itself are refused.
func (f *File) parseTrain(n *yaml.Node) error {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("train: line %d: must be a mapping of rdarts train settings", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if key := settings.Normalize(k.Value); slices.Contains(reservedTrainKeys, key) {
			return &settings.Error{Line: k.Line, Key: "train." + key, Msg: fmt.Sprintf("the grid sets --%s itself", settings.Flag(key))}
		}
	}
	if err := settings.DecodeNode(n, &f.Train, "not a setting of rdarts train (docs/settings.md lists them)"); err != nil {
		return settings.In("train", err)
	}
	return nil
}

// checkTrain validates the retraining protocol for each dataset of the
// grid, with DARTS_V2 standing in for the genotypes searches will find.
func (f *File) checkTrain() error {
	for _, ds := range f.Datasets {
		c := f.Train
		c.Genotype, c.Dataset, c.Data = space.DARTSV2.String(), ds, f.Data[ds]
		if err := c.Validate(); err != nil {
			return fmt.Errorf("train: %v", err)
		}
	}
	return nil
}

// reservedTrainKeys are the settings of a retraining that the grid sets
// per task.
var reservedTrainKeys = []string{"genotype", "genotype_source", "seed", "dataset", "data"}

// decodeOnto strictly decodes a partial search config onto c (keys or
// flag names, see package settings); the error names the line and the
// key with its section (field).
func decodeOnto(n *yaml.Node, c *search.Config, field string) error {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: line %d: must be a mapping of search settings", field, n.Line)
	}
	if err := settings.NormalizeNode(n, settings.Keys(*c)); err != nil {
		return settings.In(field, err)
	}
	for i := 0; i < len(n.Content); i += 2 {
		if list, ok := gridOwned[n.Content[i].Value]; ok {
			return &settings.Error{Line: n.Content[i].Line, Key: field + "." + n.Content[i].Value, Msg: fmt.Sprintf("set by the grid's %s list, not here", list)}
		}
	}
	return settings.In(field, settings.DecodeNode(n, c, "not a search setting (docs/settings.md lists them)"))
}

// yamlFirst keeps the first problem of a YAML error (it names the line
// and the key): one error line, however many problems the file has.
func yamlFirst(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := strings.Replace(te.Errors[0], "in type grid.raw", "(not a grid file key)", 1)
		if n := len(te.Errors) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
		return msg
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func firstDup(list []string) string {
	for i, s := range list {
		if slices.Contains(list[:i], s) {
			return s
		}
	}
	return ""
}

// Task is one run of the grid.
type Task struct {
	ID      string
	Stage   string
	Space   string
	Dataset string
	Method  string // as in the grid file (r-darts-l2, …)
	Member  string // R-DARTS grid member (wd0.0009, dp0.2), else ""
	Seed    uint64
	Dir     string // run folder, absolute
	// Log is the file the task's process writes to; Log without .log plus
	// .failed marks a failed last attempt.
	Log string
	// Search is the search configuration (search stage).
	Search search.Config
	// From are the search tasks a retraining takes its genotype from: one,
	// or the R-DARTS members of one seed to select among (retrain stage);
	// a select task's one search.
	From []*Task
	// Scores are the select tasks that score From's members, in the same
	// order (retrain stage of R-DARTS with selection by retraining).
	Scores []*Task
	// Twin is an earlier search whose settings equal this one's but for
	// the R-DARTS label (R-DARTS(L2)'s default-decay member is the DARTS
	// run), or, for DARTS-ES, the DARTS search of its settings: once the
	// twin has finished, this task copies its run (DARTS-ES: cut where the
	// rule fires, see search.SimulateES) instead of searching again (see
	// Attempt).
	Twin *Task
	// Budget is a select task's retraining budget.
	Budget robust.Budget
	// Data is the dataset folder.
	Data string
	// Train is the retraining protocol (retrain stage); RetrainConfig
	// completes it.
	Train train.Config
	// Peers are the earlier retrainings of the same space, dataset and
	// seed (retrain stage): one that trains the same genotype is this
	// task's twin (see retrainTwin).
	Peers []*Task
}

// Plan is the expanded grid: every search task, then every retraining, in
// a deterministic order (spaces, datasets, methods, members, seeds as
// listed).
type Plan struct {
	File    *File
	Search  []*Task
	Select  []*Task
	Retrain []*Task
}

// Tasks returns the tasks of a stage.
func (p *Plan) Tasks(stage string) []*Task {
	switch stage {
	case StageRetrain:
		return p.Retrain
	case StageSelect:
		return p.Select
	}
	return p.Search
}

// All returns every task in stage order.
func (p *Plan) All() []*Task {
	return append(append(slices.Clip(p.Search), p.Select...), p.Retrain...)
}

// Needs are the tasks that must finish before t can start; a retraining
// whose genotype turns out to be an earlier one's also needs that one
// (it copies it).
func (t *Task) Needs() []*Task {
	switch {
	case t.Stage == StageSearch && t.Twin != nil:
		return []*Task{t.Twin}
	case t.Stage == StageSearch:
		return nil
	}
	needs := t.From
	if len(t.Scores) > 0 {
		needs = t.Scores
	}
	if t.Stage == StageRetrain {
		if tw := t.retrainTwin(); tw != nil {
			needs = append(slices.Clip(needs), tw)
		}
	}
	return needs
}

// Find returns the task of a stage with an id.
func (p *Plan) Find(stage, id string) (*Task, error) {
	if !slices.Contains(Stages, stage) {
		return nil, fmt.Errorf("stage %q is not one of %s", stage, strings.Join(Stages, ", "))
	}
	for _, t := range p.Tasks(stage) {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, fmt.Errorf("the grid has no %s task %q (see rdarts grid plan)", stage, id)
}

type member struct {
	label string
	apply func(*search.Config)
}

// members expands a grid method into its runs.
func (f *File) members(method string) []member {
	switch method {
	case "r-darts-l2":
		var ms []member
		for _, wd := range f.L2Grid {
			ms = append(ms, member{"wd" + num(wd), func(c *search.Config) { *c = robust.MemberConfig(*c, "l2", wd) }})
		}
		return ms
	case "r-darts-dp":
		var ms []member
		for _, dp := range f.DPGrid {
			ms = append(ms, member{"dp" + num(dp), func(c *search.Config) { *c = robust.MemberConfig(*c, "dp", dp) }})
		}
		return ms
	}
	return []member{{"", func(c *search.Config) {
		c.Method = method
		if (method == "darts-es" || method == "darts-ada") && c.HessianEvery == 0 {
			c.HessianEvery = DefaultHessianEvery
		}
	}}}
}

// twinOf returns the first of tasks whose search settings equal c's but
// for the R-DARTS label, or nil; for a DARTS-ES search, the DARTS search
// of its settings (DARTS-ES is then simulated on it).
func twinOf(tasks []*Task, c search.Config) *Task {
	c.Member = nil
	if c.Method == "darts-es" {
		c.Method = "darts"
	}
	for _, t := range tasks {
		o := t.Search
		o.Member = nil
		if t.Twin == nil && reflect.DeepEqual(o, c) {
			return t
		}
	}
	return nil
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// IsRDARTS reports whether a method is a grid of searches with a selection.
func IsRDARTS(method string) bool { return method == "r-darts-l2" || method == "r-darts-dp" }

func id(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "_")
}

// Plan expands the file into tasks and validates every search
// configuration; an error names the task and the field.
func (f *File) Plan() (*Plan, error) {
	p := &Plan{File: f}
	if f.Retrain {
		if err := f.checkTrain(); err != nil {
			return nil, err
		}
	}
	for _, sp := range f.Spaces {
		for _, ds := range f.Datasets {
			for _, m := range f.Methods {
				var group [][]*Task // by seed index
				seeds := f.Seeds
				if s, ok := f.SpaceSeeds[sp]; ok {
					seeds = s
				}
				group = make([][]*Task, len(seeds))
				for _, mem := range f.members(m) {
					for si, seed := range seeds {
						c := f.Search
						for _, o := range f.Overrides {
							if (o.Space == "" || o.Space == sp) && (o.Dataset == "" || o.Dataset == ds) && (o.Method == "" || o.Method == m) {
								if err := decodeOnto(&o.Set, &c, "overrides"); err != nil {
									return nil, err
								}
							}
						}
						c.Space, c.Dataset, c.Seed, c.Data = sp, ds, seed, f.Data[ds]
						mem.apply(&c)
						t := &Task{ID: id(sp, ds, m, mem.label, fmt.Sprintf("seed%d", seed)), Stage: StageSearch,
							Space: sp, Dataset: ds, Method: m, Member: mem.label, Seed: seed, Search: c, Data: f.Data[ds]}
						t.Dir, t.Log = f.paths(StageSearch, t.ID)
						if err := c.Validate(); err != nil {
							return nil, fmt.Errorf("task %s: %v", t.ID, err)
						}
						t.Twin = twinOf(p.Search, c)
						p.Search = append(p.Search, t)
						group[si] = append(group[si], t)
						if IsRDARTS(m) && f.Select == robust.RuleRetrain {
							st := &Task{ID: t.ID, Stage: StageSelect, Space: sp, Dataset: ds, Method: m, Member: mem.label, Seed: seed,
								From: []*Task{t}, Data: t.Data, Budget: f.SelectBudget}
							st.Dir, st.Log = f.paths(StageSelect, st.ID)
							p.Select = append(p.Select, st)
						}
					}
				}
				if !f.Retrain {
					continue
				}
				for si, seed := range seeds {
					if f.RetrainMembers == "all" || !IsRDARTS(m) {
						for _, s := range group[si] {
							p.Retrain = append(p.Retrain, f.retrainTask(s.ID, s, []*Task{s}, seed))
						}
						continue
					}
					rt := f.retrainTask(id(sp, ds, m, fmt.Sprintf("seed%d", seed)), group[si][0], group[si], seed)
					if f.Select == robust.RuleRetrain {
						for _, s := range group[si] {
							st, _ := p.Find(StageSelect, s.ID)
							rt.Scores = append(rt.Scores, st)
						}
					}
					p.Retrain = append(p.Retrain, rt)
				}
			}
		}
	}
	p.linkPeers()
	return p, nil
}

func (f *File) retrainTask(taskID string, like *Task, from []*Task, seed uint64) *Task {
	t := &Task{ID: taskID, Stage: StageRetrain, Space: like.Space, Dataset: like.Dataset, Method: like.Method,
		Member: memberIfOne(from), Seed: seed, From: from, Data: like.Data, Train: f.Train}
	t.Dir, t.Log = f.paths(StageRetrain, taskID)
	return t
}

// linkPeers gives each retraining the earlier ones of its space, dataset
// and seed.
func (p *Plan) linkPeers() {
	for i, t := range p.Retrain {
		for _, o := range p.Retrain[:i] {
			if o.Space == t.Space && o.Dataset == t.Dataset && o.Seed == t.Seed {
				t.Peers = append(t.Peers, o)
			}
		}
	}
}

func (f *File) paths(stage, taskID string) (dir, log string) {
	return filepath.Join(f.Out, stage, taskID), filepath.Join(f.Out, "logs", stage, taskID+".log")
}

func memberIfOne(from []*Task) string {
	if len(from) == 1 {
		return from[0].Member
	}
	return ""
}
