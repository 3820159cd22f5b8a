package space

import (
	"slices"
	"strings"
	"testing"
)

func mustGet(t *testing.T, name string) Space {
	t.Helper()
	s, err := Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDAGEdges(t *testing.T) {
	edges := DAGEdges(4)
	if len(edges) != 14 {
		t.Fatalf("DAGEdges(4) has %d edges, want 14", len(edges))
	}
	// Node i owns edges start..start+i+1, by source (docs/method.md, Search spaces).
	first := map[int]int{0: 0, 1: 2, 2: 5, 3: 9}
	for node, start := range first {
		for j := 0; j < node+2; j++ {
			if got, want := edges[start+j], (Edge{Node: node, Source: j}); got != want {
				t.Errorf("edge %d = %v, want %v", start+j, got, want)
			}
		}
	}
	if n := len(DAGEdges(2)); n != 5 {
		t.Errorf("DAGEdges(2) has %d edges, want 5", n)
	}
}

func TestGetAll(t *testing.T) {
	want := map[string]struct {
		steps, rows, cols int
		shared            bool
	}{
		"darts": {4, 14, 8, false},
		"s1":    {4, 14, 2, false},
		"s2":    {4, 14, 2, false},
		"s3":    {4, 14, 3, false},
		"s4":    {4, 14, 2, false},
		"s5":    {2, 4, 3, true},
	}
	if !slices.Equal(Names(), []string{"darts", "s1", "s2", "s3", "s4", "s5"}) {
		t.Errorf("Names() = %v", Names())
	}
	for _, name := range Names() {
		s := mustGet(t, name)
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		w := want[name]
		for _, reduce := range []bool{false, true} {
			r, c := s.AlphaShape(reduce)
			if s.Name != name || s.Steps != w.steps || r != w.rows || c != w.cols || s.Shared != w.shared {
				t.Errorf("%s (reduce %v): name %q steps %d shape %dx%d shared %v, want %+v", name, reduce, s.Name, s.Steps, r, c, s.Shared, w)
			}
		}
	}
}

func TestGetUniformLists(t *testing.T) {
	want := map[string][]string{
		"darts": {"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"},
		"s2":    {"skip_connect", "sep_conv_3x3"},
		"s3":    {"none", "skip_connect", "sep_conv_3x3"},
		"s4":    {"noise", "sep_conv_3x3"},
		"s5":    {"sep_conv_3x3", "skip_connect", "max_pool_3x3"},
	}
	for name, ops := range want {
		s := mustGet(t, name)
		for _, reduce := range []bool{false, true} {
			for e, got := range s.Ops(reduce) {
				if !slices.Equal(got, ops) {
					t.Errorf("%s edge %d (reduce %v): %v, want %v", name, e, reduce, got, ops)
				}
			}
		}
	}
}

// TestS1Table checks every row of the S1 table of docs/method.md (Search spaces).
func TestS1Table(t *testing.T) {
	const (
		skip = "skip_connect"
		d3   = "dil_conv_3x3"
		d5   = "dil_conv_5x5"
		s3   = "sep_conv_3x3"
		mp   = "max_pool_3x3"
		ap   = "avg_pool_3x3"
	)
	table := []struct {
		node, source   int
		normal, reduce [2]string
	}{
		{0, 0, [2]string{skip, d3}, [2]string{mp, ap}},
		{0, 1, [2]string{skip, d5}, [2]string{mp, d3}},
		{1, 0, [2]string{skip, d5}, [2]string{mp, ap}},
		{1, 1, [2]string{skip, s3}, [2]string{mp, ap}},
		{1, 2, [2]string{skip, d3}, [2]string{skip, d5}},
		{2, 0, [2]string{mp, skip}, [2]string{mp, ap}},
		{2, 1, [2]string{skip, s3}, [2]string{mp, s3}},
		{2, 2, [2]string{skip, s3}, [2]string{skip, d3}},
		{2, 3, [2]string{skip, d3}, [2]string{skip, d5}},
		{3, 0, [2]string{skip, s3}, [2]string{mp, ap}},
		{3, 1, [2]string{mp, skip}, [2]string{mp, ap}},
		{3, 2, [2]string{skip, d3}, [2]string{skip, d5}},
		{3, 3, [2]string{d3, d5}, [2]string{skip, d5}},
		{3, 4, [2]string{d3, d5}, [2]string{skip, d5}},
	}
	s := mustGet(t, "s1")
	for e, row := range table {
		if got := s.Edges[e]; got != (Edge{row.node, row.source}) {
			t.Errorf("edge %d = %v, want node %d source %d", e, got, row.node, row.source)
		}
		if got := s.Ops(false)[e]; !slices.Equal(got, row.normal[:]) {
			t.Errorf("normal edge %d = %v, want %v", e, got, row.normal)
		}
		if got := s.Ops(true)[e]; !slices.Equal(got, row.reduce[:]) {
			t.Errorf("reduce edge %d = %v, want %v", e, got, row.reduce)
		}
	}
}

func TestGetErrorsAndCopies(t *testing.T) {
	_, err := Get("s9")
	if err == nil || !strings.Contains(err.Error(), `"s9"`) || !strings.Contains(err.Error(), "darts, s1, s2, s3, s4, s5") {
		t.Errorf("Get(s9) error = %v; want the value and the valid names", err)
	}
	if s, err := Get("S1"); err != nil || s.Name != "s1" {
		t.Errorf("Get(S1) = %q, %v", s.Name, err)
	}
	a := mustGet(t, "s1")
	a.Normal[0][0] = "noise"
	a.Edges[0].Source = 1
	if b := mustGet(t, "s1"); b.Normal[0][0] != "skip_connect" || b.Edges[0].Source != 0 {
		t.Error("Get shares storage between calls")
	}
}

func TestS5(t *testing.T) {
	s := mustGet(t, "s5")
	if !slices.Equal(s.Edges, []Edge{{0, 0}, {0, 1}, {1, 1}, {1, 2}}) {
		t.Errorf("s5 edges %v", s.Edges)
	}
	if Count(s).Int64() != 81 {
		t.Errorf("Count(s5) = %v, want 81", Count(s))
	}
}

func TestValidate(t *testing.T) {
	ok := func() Space {
		return Space{
			Name: "mine", Steps: 2, Edges: DAGEdges(2),
			Normal: cloneLists([][]string{{"none", "skip_connect"}, {"none", "skip_connect"}, {"skip_connect", "sep_conv_3x3"}, {"none", "noise"}, {"max_pool_3x3", "skip_connect"}}),
			Reduce: cloneLists([][]string{{"none", "skip_connect"}, {"none", "skip_connect"}, {"skip_connect", "sep_conv_3x3"}, {"none", "noise"}, {"max_pool_3x3", "skip_connect"}}),
		}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("valid space: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(*Space)
		want   string
	}{
		{"no name", func(s *Space) { s.Name = "" }, "no name"},
		{"no steps", func(s *Space) { s.Steps = 0 }, "steps"},
		{"too few edges", func(s *Space) { s.Steps = 3 }, "at least 2 edges"},
		{"bad source", func(s *Space) { s.Edges[1].Source = 5 }, "source 5 out of range"},
		{"unsorted", func(s *Space) { s.Edges[0], s.Edges[1] = s.Edges[1], s.Edges[0] }, "sorted"},
		{"repeat", func(s *Space) { s.Edges[1] = s.Edges[0] }, "repeats"},
		{"row count", func(s *Space) { s.Normal = s.Normal[:4] }, "4 normal op lists for 5 edges"},
		{"unknown op", func(s *Space) { s.Reduce[2][1] = "sep_conv_9x9" }, `unknown op "sep_conv_9x9"`},
		{"duplicate op", func(s *Space) { s.Normal[2][1] = "skip_connect" }, "listed twice"},
		{"only none", func(s *Space) { s.Normal[0] = []string{"none", "none"} }, "listed twice"},
		{"ragged", func(s *Space) { s.Normal[3] = []string{"noise"} }, "one op count"},
		{"shared differ", func(s *Space) { s.Shared = true; s.Reduce[0][1] = "noise" }, "shared space"},
	}
	for _, c := range cases {
		s := ok()
		c.mutate(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// A node with a single incoming edge cannot keep two.
	s := ok()
	s.Steps = 3
	s.Edges = []Edge{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 3}}
	s.Normal = append(s.Normal, []string{"none", "skip_connect"})
	s.Reduce = append(s.Reduce, []string{"none", "skip_connect"})
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "node 2 has 1 incoming edges") {
		t.Errorf("one-edge node: %v", err)
	}
	// An edge list holding nothing but none cannot be derived from.
	s = ok()
	s.Normal[0], s.Reduce[0] = []string{"none"}, []string{"none"}
	for e := 1; e < 5; e++ {
		s.Normal[e], s.Reduce[e] = s.Normal[e][:1], s.Reduce[e][:1]
	}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "no op besides none") {
		t.Errorf("none-only edge: %v", err)
	}
	// Shared with nil Reduce is fine and reads Normal for both kinds.
	s = ok()
	s.Shared, s.Reduce = true, nil
	if err := s.Validate(); err != nil || !slices.Equal(s.Ops(true)[2], s.Normal[2]) {
		t.Errorf("shared nil reduce: %v", err)
	}
}

// TestGetUnknown: an unknown space lists the valid ones; rnn points to
// the recurrent commands.
func TestGetUnknown(t *testing.T) {
	for name, want := range map[string]string{"s9": "valid: darts, s1, s2, s3, s4, s5", "rnn": "rdarts search, train, robust and report take"} {
		if _, err := Get(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Get(%q): %v, want an error with %q", name, err, want)
		}
	}
}
