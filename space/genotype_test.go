package space

import (
	"errors"
	"strings"
	"testing"
)

const (
	// dartsV2Text is DARTS_V2 as DA:cnn/genotypes.py writes it.
	dartsV2Text = `Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])`
	// s1Example is an S1 genotype logged by the reference implementation.
	s1Example = `Genotype(normal=[('skip_connect', 1), ('dil_conv_3x3', 0), ('skip_connect', 2), ('skip_connect', 0), ('skip_connect', 0), ('skip_connect', 2), ('skip_connect', 2), ('skip_connect', 1)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=range(2, 6))`
)

func mustParse(t *testing.T, src string) Genotype {
	t.Helper()
	g, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return g
}

func TestParseDARTSV2(t *testing.T) {
	g := mustParse(t, dartsV2Text)
	if !g.Equal(DARTSV2) {
		t.Errorf("Parse(DARTS_V2) = %s, want %s", g, DARTSV2)
	}
	want := strings.ReplaceAll(dartsV2Text, "[2, 3, 4, 5]", "range(2, 6)")
	if got := DARTSV2.String(); got != want {
		t.Errorf("DARTSV2.String():\n got %s\nwant %s", got, want)
	}
	if err := DARTSV2.ValidateIn(mustGet(t, "darts")); err != nil {
		t.Error(err)
	}
}

func TestParseSpecExample(t *testing.T) {
	g := mustParse(t, s1Example)
	if g.String() != s1Example {
		t.Errorf("print(parse(x)) != x:\n got %s\nwant %s", g, s1Example)
	}
	if g.Normal[1] != (Pair{"dil_conv_3x3", 0}) || g.Reduce[7] != (Pair{"max_pool_3x3", 1}) || len(g.ReduceConcat) != 4 {
		t.Errorf("parsed %+v", g)
	}
	// It is an S1 architecture: every op lies on its edge's S1 list.
	if err := g.ValidateIn(mustGet(t, "s1")); err != nil {
		t.Error(err)
	}
}

func TestParseVariants(t *testing.T) {
	variants := map[string]string{
		"double quotes": strings.ReplaceAll(s1Example, "'", `"`),
		"concat lists":  strings.ReplaceAll(s1Example, "range(2, 6)", "[2, 3, 4, 5]"),
		"log prefix":    "genotype = " + s1Example,
		"python name":   "DARTS_V2=" + s1Example,
		"no spaces":     strings.ReplaceAll(s1Example, " ", ""),
		"newlines":      strings.NewReplacer("(", "(\n\t", ", ", " ,\r\n  ", "=", " = ").Replace(s1Example) + "\n",
		"trailing commas": strings.NewReplacer("1)", "1,)", "0)]", "0),]", "range(2, 6))", "[2, 3, 4, 5,],)").
			Replace(s1Example),
		"reordered": `Genotype(reduce_concat=range(2, 6), reduce=[('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('max_pool_3x3', 1)], normal_concat=[2,3,4,5], normal=[('skip_connect', 1), ('dil_conv_3x3', 0), ('skip_connect', 2), ('skip_connect', 0), ('skip_connect', 0), ('skip_connect', 2), ('skip_connect', 2), ('skip_connect', 1)])`,
	}
	want := mustParse(t, s1Example)
	for name, src := range variants {
		g, err := Parse(src)
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, src)
			continue
		}
		if !g.Equal(want) {
			t.Errorf("%s: got %s", name, g)
		}
	}
}

func TestPrintParseRoundTrip(t *testing.T) {
	gs := []Genotype{DARTSV2, mustParse(t, s1Example)}
	// Non-contiguous concat, duplicate sources and five nodes (NASNet-like).
	gs = append(gs, Genotype{
		Normal:       []Pair{{"sep_conv_5x5", 1}, {"sep_conv_3x3", 0}, {"avg_pool_3x3", 1}, {"skip_connect", 1}, {"conv_7x1_1x7", 2}, {"noise", 3}, {"none", 0}, {"sep_conv_7x7", 4}, {"dil_conv_5x5", 5}, {"skip_connect", 5}},
		NormalConcat: []int{2, 3, 4, 5, 6},
		Reduce:       []Pair{{"max_pool_3x3", 0}, {"max_pool_3x3", 0}},
		ReduceConcat: []int{2},
	}, Genotype{
		Normal: DARTSV2.Normal, NormalConcat: []int{5, 2, 4},
		Reduce: DARTSV2.Reduce, ReduceConcat: []int{4, 5},
	})
	for _, g := range gs {
		if err := g.Validate(); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		h := mustParse(t, g.String())
		if !h.Equal(g) {
			t.Errorf("round trip:\n got %s\nwant %s", h, g)
		}
	}
	if got := gs[3].String(); !strings.Contains(got, "normal_concat=[5, 2, 4]") || !strings.Contains(got, "reduce_concat=range(4, 6)") {
		t.Errorf("concat printing: %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	v2 := dartsV2Text
	cases := []struct {
		name, src string
		want      string
		line, col int // 0: not checked
	}{
		{"empty", "", "expected 'Genotype(', found end of input", 1, 1},
		{"not a genotype", "hello", "expected '=' after \"hello\" or 'Genotype('", 1, 6},
		{"unknown op", strings.Replace(v2, "'dil_conv_3x3'", "'dil_conv_9x9'", 1), `unknown op "dil_conv_9x9" in normal pair 7`, 1, strings.Index(v2, "'dil_conv_3x3'") + 1},
		{"bad source", strings.Replace(v2, "('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)", 1), "bad source 5 in normal pair 7: node 3 takes sources 0..4", 0, 0},
		{"source of node 0", strings.Replace(v2, "('sep_conv_3x3', 1)", "('sep_conv_3x3', 2)", 1), "bad source 2 in normal pair 1: node 0 takes sources 0..1", 0, 0},
		{"negative source", strings.Replace(v2, "('sep_conv_3x3', 1)", "('sep_conv_3x3', -1)", 1), `unexpected character '-'`, 0, 0},
		{"missing field", strings.Replace(v2, ", reduce_concat=[2, 3, 4, 5]", "", 1), "missing field reduce_concat", 1, len(v2) - len(", reduce_concat=[2, 3, 4, 5]")},
		{"trailing garbage", v2 + " x", "unexpected 'x' after the closing ')'", 1, len(v2) + 2},
		{"second genotype", v2 + v2, "unexpected 'Genotype' after the closing ')'", 0, 0},
		{"unterminated", "Genotype(normal=[('skip_connect, 0)])", "unterminated string", 1, 19},
		{"mixed quotes", `Genotype(normal=[('skip_connect", 0)])`, "unterminated string", 0, 0},
		{"unknown field", strings.Replace(v2, "reduce_concat", "reduce_cat", 1), `unknown field "reduce_cat"`, 0, 0},
		{"duplicate field", strings.Replace(v2, "reduce_concat", "normal_concat", 1), "field normal_concat given twice", 0, 0},
		{"odd pairs", strings.Replace(v2, "('skip_connect', 0), ('dil_conv_3x3', 2)", "('skip_connect', 0)", 1), "normal has 7 pairs; want 2 per node", 0, 0},
		{"no pairs", strings.Replace(s1Example, s1Example[16:strings.Index(s1Example, "]")+1], "[]", 1), "normal has 0 pairs", 0, 0},
		{"empty concat", strings.Replace(v2, "[2, 3, 4, 5]", "[]", 1), "normal_concat is empty", 0, 0},
		{"concat out of range", strings.Replace(v2, "[2, 3, 4, 5]", "[2, 3, 4, 6]", 1), "normal_concat: state 6 is not an intermediate state 2..5", 0, 0},
		{"concat twice", strings.Replace(v2, "[2, 3, 4, 5]", "[2, 3, 3]", 1), "state 3 listed twice", 0, 0},
		{"range too long", strings.Replace(s1Example, "range(2, 6)", "range(2, 7)", 1), "range(2, 7) is not within the intermediate states 2..5", 0, 0},
		{"huge range", strings.Replace(s1Example, "range(2, 6)", "range(2, 999999999999)", 1), "is not within the intermediate states", 0, 0},
		{"empty range", strings.Replace(s1Example, "range(2, 6)", "range(6, 2)", 1), "range(6, 2) is empty", 0, 0},
		{"overflow", strings.Replace(v2, "('sep_conv_3x3', 1)", "('sep_conv_3x3', 99999999999999999999999)", 1), "integer 99999999999999999999999 out of range", 0, 0},
		{"missing comma", strings.Replace(v2, "('sep_conv_3x3', 0), ('sep_conv_3x3', 1)", "('sep_conv_3x3', 0) ('sep_conv_3x3', 1)", 1), "expected ',' or ']' in normal, found '('", 0, 0},
		{"op not quoted", strings.Replace(v2, "'sep_conv_3x3'", "sep_conv_3x3", 1), "expected a quoted op name in normal pair 0, found 'sep_conv_3x3'", 0, 0},
		{"unclosed", strings.TrimSuffix(v2, ")"), "expected ',' or ')' after field reduce_concat, found end of input", 1, len(v2)},
		{"newline position", "Genotype(\n  normal=[\n    ('skip', 0)])", `unknown op "skip"`, 3, 6},
	}
	for _, c := range cases {
		_, err := Parse(c.src)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v, want a *ParseError", c.name, err)
			continue
		}
		if !strings.Contains(pe.Msg, c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if c.line != 0 && (pe.Line != c.line || pe.Col != c.col) {
			t.Errorf("%s: at line %d column %d, want %d:%d (%v)", c.name, pe.Line, pe.Col, c.line, c.col, err)
		}
	}
}

func TestGenotypeValidate(t *testing.T) {
	if err := DARTSV2.Validate(); err != nil {
		t.Error(err)
	}
	bad := map[string]Genotype{
		"zero value":   {},
		"odd":          {Normal: DARTSV2.Normal[:3], NormalConcat: []int{2}, Reduce: DARTSV2.Reduce, ReduceConcat: DARTSV2.ReduceConcat},
		"unknown op":   {Normal: []Pair{{"conv", 0}, {"none", 1}}, NormalConcat: []int{2}, Reduce: DARTSV2.Reduce, ReduceConcat: DARTSV2.ReduceConcat},
		"bad source":   {Normal: []Pair{{"none", 0}, {"none", 2}}, NormalConcat: []int{2}, Reduce: DARTSV2.Reduce, ReduceConcat: DARTSV2.ReduceConcat},
		"concat range": {Normal: DARTSV2.Normal, NormalConcat: []int{1, 2}, Reduce: DARTSV2.Reduce, ReduceConcat: DARTSV2.ReduceConcat},
		"concat twice": {Normal: DARTSV2.Normal, NormalConcat: DARTSV2.NormalConcat, Reduce: DARTSV2.Reduce, ReduceConcat: []int{5, 5}},
	}
	for name, g := range bad {
		if err := g.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
