package space

import (
	"errors"
	"strings"
	"testing"
)

// The recurrent genotypes of DARTS' rnn/genotypes.py, as written there.
const (
	srcDARTSV1 = "DARTS_V1 = Genotype(recurrent=[('relu', 0), ('relu', 1), ('tanh', 2), ('relu', 3), ('relu', 4), ('identity', 1), ('relu', 5), ('relu', 1)], concat=range(1, 9))"
	srcDARTSV2 = "DARTS_V2 = Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), ('tanh', 2), ('sigmoid', 5), ('tanh', 3), ('relu', 5)], concat=range(1, 9))"
	srcENAS    = `ENAS = Genotype(
    recurrent = [
        ('tanh', 0),
        ('tanh', 1),
        ('relu', 1),
        ('tanh', 3),
        ('tanh', 3),
        ('relu', 3),
        ('relu', 4),
        ('relu', 7),
        ('relu', 8),
        ('relu', 8),
        ('relu', 8),
    ],
    concat = [2, 5, 6, 9, 10, 11]
)`
)

func TestParseRNNOriginal(t *testing.T) {
	for _, c := range []struct {
		src  string
		want RNNGenotype
	}{{srcDARTSV1, RNNDARTSV1}, {srcDARTSV2, RNNDARTSV2}} {
		g, err := ParseRNN(c.src)
		if err != nil {
			t.Fatal(err)
		}
		if !g.Equal(c.want) {
			t.Errorf("parsed %v, want %v", g, c.want)
		}
		if err := g.ValidateSearch(); err != nil {
			t.Error(err)
		}
		// String round-trips, and prints what DARTS prints.
		if s := g.String(); s != c.src[strings.Index(c.src, "Genotype"):] {
			t.Errorf("String %s", s)
		}
	}
	g, err := ParseRNN(srcENAS)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Recurrent) != 11 || g.String() != "Genotype(recurrent=[('tanh', 0), ('tanh', 1), ('relu', 1), ('tanh', 3), ('tanh', 3), ('relu', 3), ('relu', 4), ('relu', 7), ('relu', 8), ('relu', 8), ('relu', 8)], concat=[2, 5, 6, 9, 10, 11])" {
		t.Errorf("ENAS %v", g)
	}
	if err := g.ValidateSearch(); err == nil || !strings.Contains(err.Error(), "11 nodes") {
		t.Errorf("ENAS in the search space: %v", err)
	}
}

func TestParseRNNErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"Genotype(recurrent=[('relu', 0)], concat=range(1, 2)", "column 53: expected ',' or ')' after field concat, found end of input"},
		{"Genotype(recurrent=[('none', 0)], concat=range(1, 2))", `column 22: unknown activation "none" for node 1`},
		{"Genotype(recurrent=[('relu', 0), ('tanh', 2)], concat=range(1, 3))", "column 43: bad source 2 for node 2: it takes states 0..1"},
		{"Genotype(recurrent=[('relu', 0)], concat=range(0, 2))", "concat: range(0, 2) is not within the states 1..1"},
		{"Genotype(recurrent=[('relu', 0)], concat=[1, 1])", "concat: state 1 listed twice"},
		{"Genotype(recurrent=[], concat=[1])", "recurrent has no nodes"},
		{"Genotype(recurrent=[('relu', 0)])", "missing field concat"},
		{"Genotype(normal=[('relu', 0)], concat=[1])", `unknown field "normal"`},
		{"Genotype(recurrent=[('relu', 0)], concat=[1]) x", "unexpected 'x' after the closing ')'"},
	} {
		_, err := ParseRNN(c.src)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.src, err, c.want)
		}
	}
}

func TestRNNValidate(t *testing.T) {
	for _, c := range []struct {
		g    RNNGenotype
		want string
	}{
		{RNNGenotype{}, "no nodes"},
		{RNNGenotype{Recurrent: []Pair{{"sep_conv_3x3", 0}}, Concat: []int{1}}, "not one of tanh"},
		{RNNGenotype{Recurrent: []Pair{{"relu", 1}}, Concat: []int{1}}, "source 1 out of range 0..0"},
		{RNNGenotype{Recurrent: []Pair{{"relu", 0}}, Concat: []int{2}}, "state 2 out of range 1..1"},
		{RNNGenotype{Recurrent: []Pair{{"relu", 0}}}, "concat is empty"},
	} {
		if err := c.g.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.g, err, c.want)
		}
	}
	short := RNNGenotype{Recurrent: RNNDARTSV2.Recurrent, Concat: []int{8}}
	if err := short.ValidateSearch(); err == nil || !strings.Contains(err.Error(), "averages range(1, 9)") {
		t.Errorf("concat [8] in the search space: %v", err)
	}
}

// oneHotRNN is an α whose softmax picks g's pairs.
func oneHotRNN(g RNNGenotype) [][]float64 {
	ops := RNNOps()
	alpha := make([][]float64, RNNEdges(len(g.Recurrent)))
	for e := range alpha {
		alpha[e] = make([]float64, len(ops))
	}
	for i, p := range g.Recurrent {
		for k, op := range ops {
			if op == p.Op {
				alpha[RNNEdge(i+1, p.Source)][k] = 3
			}
		}
	}
	return alpha
}

func TestDeriveRNN(t *testing.T) {
	for _, g := range []RNNGenotype{RNNDARTSV1, RNNDARTSV2} {
		if got := DeriveRNN(oneHotRNN(g)); !got.Equal(g) {
			t.Errorf("derived %v, want %v", got, g)
		}
	}
	// none is never chosen, however strong; ties go to the lower source
	// and the first activation.
	alpha := make([][]float64, RNNEdges(2))
	for e := range alpha {
		alpha[e] = []float64{9, 1, 1, 0, 0}
	}
	want := RNNGenotype{Recurrent: []Pair{{RNNTanh, 0}, {RNNTanh, 0}}, Concat: []int{1, 2}}
	if got := DeriveRNN(alpha); !got.Equal(want) {
		t.Errorf("ties: %v, want %v", got, want)
	}
	// The edge's score is its best non-none softmax weight, so a row with a
	// strong none loses to a flatter one.
	alpha[RNNEdge(2, 1)] = []float64{0, 0, 0, 0, 0.5}
	if got := DeriveRNN(alpha); got.Recurrent[1] != (Pair{RNNIdentity, 1}) {
		t.Errorf("node 2: %v", got.Recurrent[1])
	}
	if RNNEdges(RNNSteps) != 36 || RNNEdge(8, 7) != 35 || RNNEdge(3, 0) != 3 {
		t.Error("edge numbering")
	}
	defer func() {
		if recover() == nil {
			t.Error("a 4-row α did not panic")
		}
	}()
	DeriveRNN(alpha[:2])
}
