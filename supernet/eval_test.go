package supernet

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
)

// smallGenotype uses concat lists of two and one states (multipliers 2 and
// 1), a stride-2 skip and ops without parameters.
var smallGenotype = space.Genotype{
	Normal: []space.Pair{
		{Op: space.OpSepConv3x3, Source: 0}, {Op: space.OpSkipConnect, Source: 1},
		{Op: space.OpDilConv3x3, Source: 2}, {Op: space.OpAvgPool3x3, Source: 0},
	},
	NormalConcat: []int{2, 3},
	Reduce: []space.Pair{
		{Op: space.OpSkipConnect, Source: 0}, {Op: space.OpMaxPool3x3, Source: 1},
	},
	ReduceConcat: []int{2},
}

func newEval(t *testing.T, g space.Genotype, cfg EvalConfig) *EvalNetwork {
	t.Helper()
	n, err := NewEval(g, cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func evalCtx(train bool, dropPath float64) *nn.Ctx {
	tp := autograd.NewTape(purego.Backend{})
	return &nn.Ctx{T: tp, Train: train, DropPath: dropPath, Rng: rand.New(rand.NewPCG(1, 1))}
}

func TestEvalParamCountDARTSV2(t *testing.T) {
	n := newEval(t, space.DARTSV2, EvalConfig{InChannels: 3, Classes: 10, C: 36, Layers: 20, Auxiliary: true})
	main, aux := n.ParamCount()
	t.Logf("DARTS_V2 20 cells, 36 channels: %d parameters (%.6f MB), auxiliary head %d", main, float64(main)/1e6, aux)
	// The reference logs "param size = 3.349342MB" for this model.
	if main != 3349342 {
		t.Errorf("main parameters %d, want 3349342", main)
	}
	// Head on 4·144 = 576 channels: 576·128 + 2·128 + 128·768·4 + 2·768 + 768·10 + 10.
	if aux != 476426 {
		t.Errorf("auxiliary parameters %d, want 476426", aux)
	}
	if main+aux != n.W.Count() {
		t.Errorf("main %d + aux %d != registered %d", main, aux, n.W.Count())
	}
}

// TestEvalParamCountSmall checks a count worked out by hand: L=3 (reductions
// at cells 1 and 2), C=2, 3 input channels, 10 classes.
func TestEvalParamCountSmall(t *testing.T) {
	const (
		stem = 6*3*9 + 2*6 // conv 3→6 3×3, affine BN
		// cell 0, normal, C=2, inputs 6 and 6
		rcb62  = 6*2 + 2*2           // ReLUConvBN 6→2
		sep2   = 2 * (2*9 + 2*2 + 4) // two (depthwise, pointwise, BN)
		dil2   = 2*9 + 2*2 + 4
		cell0  = 2*rcb62 + sep2 + dil2 // + identity + avg pool: nothing
		cell1  = (6*4 + 8) + (4*4 + 8) + (2*4*2 + 8)
		cell2  = (2*4*4 + 16) + (4*8 + 16) + (2*8*4 + 16) // pre0 FactorizedReduce 4→8, pre1 4→8, FR skip 8→8
		linear = 8*10 + 10
		main   = stem + cell0 + cell1 + cell2 + linear
		aux    = 8*128 + 2*128 + 128*768*4 + 2*768 + 768*10 + 10
	)
	for _, withAux := range []bool{true, false} {
		n := newEval(t, smallGenotype, EvalConfig{InChannels: 3, Classes: 10, C: 2, Layers: 3, Auxiliary: withAux})
		gm, ga := n.ParamCount()
		wantAux := 0
		if withAux {
			wantAux = aux
		}
		if gm != main || ga != wantAux {
			t.Errorf("auxiliary %v: counts (%d, %d), want (%d, %d)", withAux, gm, ga, main, wantAux)
		}
		// PyTorch's module order: the head's 8 tensors between the cells
		// and the classifier.
		last := len(n.W.Names)
		for i, name := range n.W.Names {
			if strings.HasPrefix(name, auxName) != (withAux && i >= last-10 && i < last-2) {
				t.Errorf("auxiliary %v: parameter %d %q out of place", withAux, i, name)
			}
		}
	}
}

func TestEvalShapes(t *testing.T) {
	for _, c := range []struct{ in, h, layers, ch int }{
		{3, 32, 8, 16}, {1, 28, 8, 16}, {3, 32, 3, 4}, {1, 28, 3, 4}, {1, 28, 2, 4}, {3, 32, 5, 4},
	} {
		for _, g := range []space.Genotype{space.DARTSV2, smallGenotype} {
			n := newEval(t, g, EvalConfig{InChannels: c.in, Classes: 10, C: c.ch, Layers: c.layers, Auxiliary: true})
			x, _ := batch(2, c.in, c.h)
			for _, train := range []bool{true, false} {
				ctx := evalCtx(train, 0.2)
				ctx.T.NoGrad = true
				logits, aux := n.Forward(ctx, ctx.T.Const(x))
				if s := logits.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 10 {
					t.Errorf("%+v train %v: logits %v", c, train, s)
				}
				switch {
				case train && (aux == nil || aux.Shape()[0] != 2 || aux.Shape()[1] != 10):
					t.Errorf("%+v: auxiliary logits %v in training mode", c, aux)
				case !train && aux != nil:
					t.Errorf("%+v: auxiliary logits in evaluation mode", c)
				}
			}
		}
	}
	n := newEval(t, space.DARTSV2, EvalConfig{InChannels: 3, Classes: 10, C: 4, Layers: 3})
	x, _ := batch(2, 3, 32)
	ctx := evalCtx(true, 0)
	if _, aux := n.Forward(ctx, ctx.T.Const(x)); aux != nil {
		t.Error("auxiliary logits without an auxiliary head")
	}
}

func TestAuxPool(t *testing.T) {
	if k, s := auxPool(8); k != 5 || s != 3 {
		t.Errorf("8×8: pool %d/%d, want the reference's 5/3", k, s)
	}
	if k, s := auxPool(7); k != 4 || s != 3 {
		t.Errorf("7×7: pool %d/%d, want 4/3", k, s)
	}
	for h := 2; h <= 64; h++ {
		k, s := auxPool(h)
		if out := (h-k)/s + 1; out != 2 || k > h {
			t.Errorf("%d×%d: pool %d/%d gives %d×%d", h, h, k, s, out, out)
		}
	}
}

func TestNewEvalErrors(t *testing.T) {
	bad := smallGenotype
	bad.Normal = []space.Pair{{Op: "conv_9x9", Source: 0}, {Op: space.OpSkipConnect, Source: 1}}
	cfg := EvalConfig{InChannels: 3, Classes: 10, C: 4, Layers: 3}
	for _, c := range []struct {
		g    space.Genotype
		cfg  EvalConfig
		want string
	}{
		{bad, cfg, "unknown op"},
		{space.Genotype{}, cfg, "pairs"},
		{smallGenotype, EvalConfig{InChannels: 3, Classes: 1, C: 4, Layers: 3}, "classes"},
		{smallGenotype, EvalConfig{InChannels: 3, Classes: 10, C: 0, Layers: 3}, "channels"},
		{smallGenotype, EvalConfig{InChannels: 3, Classes: 10, C: 4}, "layers"},
	} {
		if _, err := NewEval(c.g, c.cfg, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewEval(%v, %+v): error %v, want one about %q", c.g, c.cfg, err, c.want)
		}
	}
	// The network keeps a copy of the genotype.
	g := space.DARTSV2
	g.Normal = append([]space.Pair(nil), g.Normal...)
	n := newEval(t, g, cfg)
	g.Normal[0].Op = space.OpNone
	if n.Genotype.Normal[0].Op != space.OpSepConv3x3 {
		t.Error("the network shares the caller's genotype")
	}
}

// TestEvalDropPath runs cells with drop probability 1 (every mask zero) and
// 0.5: identities pass untouched, the stride-2 skip is dropped.
func TestEvalDropPath(t *testing.T) {
	g := space.Genotype{
		Normal: []space.Pair{
			{Op: space.OpSkipConnect, Source: 0}, {Op: space.OpSkipConnect, Source: 1},
			{Op: space.OpSkipConnect, Source: 2}, {Op: space.OpSkipConnect, Source: 0},
		},
		NormalConcat: []int{2, 3},
		Reduce: []space.Pair{
			{Op: space.OpSkipConnect, Source: 0}, {Op: space.OpNone, Source: 1},
		},
		ReduceConcat: []int{2},
	}
	n := newEval(t, g, EvalConfig{InChannels: 3, Classes: 10, C: 4, Layers: 3})
	const batchN = 16
	// Cell 0 reads the stem twice (3·4 channels); cell 1 reads the stem and
	// cell 0 (2·4 channels).
	stem, _ := batch(batchN, 12, 8)
	out0, _ := batch(batchN, 8, 8)
	run := func(cell int, p float64) []float32 {
		ctx := evalCtx(true, p)
		s0, s1 := ctx.T.Const(stem), ctx.T.Const(stem)
		if cell == 1 {
			s1 = ctx.T.Const(out0)
		}
		return n.cells[cell].forward(ctx, s0, s1).Value.Data
	}
	want := run(0, 0)
	got := run(0, 1)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("normal cell of identities: output %d is %g with drop path, %g without", i, got[i], want[i])
		}
	}
	ref := run(1, 0)
	for i, v := range run(1, 1) {
		if v != 0 {
			t.Fatalf("reduction cell: output %d is %g with every path dropped", i, v)
		}
	}
	// p = 0.5: each sample of the single node is dropped (0) or kept (×2).
	half, per := run(1, 0.5), len(ref)/batchN
	dropped := 0
	for s := 0; s < batchN; s++ {
		zero, doubled := true, true
		for j := s * per; j < (s+1)*per; j++ {
			zero = zero && half[j] == 0
			doubled = doubled && math.Abs(float64(half[j]-2*ref[j])) <= 1e-6*math.Abs(float64(ref[j]))
		}
		if !zero && !doubled {
			t.Errorf("sample %d neither dropped nor scaled by 1/keep", s)
		}
		if zero {
			dropped++
		}
	}
	if dropped == 0 || dropped == batchN {
		t.Errorf("p=0.5: %d of %d samples dropped", dropped, batchN)
	}
}

// TestEvalGradient checks ∂L/∂w of the whole evaluation network, auxiliary
// head and drop path included, against central differences along random
// directions (L=3, C=4, 8×8 input; the head then sees a 2×2 map).
func TestEvalGradient(t *testing.T) {
	wide := space.Genotype{
		Normal: []space.Pair{
			{Op: space.OpSepConv5x5, Source: 1}, {Op: space.OpDilConv5x5, Source: 0},
			{Op: space.OpAvgPool3x3, Source: 2}, {Op: space.OpSkipConnect, Source: 1},
		},
		NormalConcat: []int{2, 3},
		Reduce: []space.Pair{
			{Op: space.OpAvgPool3x3, Source: 0}, {Op: space.OpDilConv3x3, Source: 1},
			{Op: space.OpSepConv3x3, Source: 2}, {Op: space.OpSkipConnect, Source: 0},
		},
		ReduceConcat: []int{2, 3},
	}
	for name, g := range map[string]space.Genotype{"darts_v2": space.DARTSV2, "wide": wide} {
		n := newEval(t, g, EvalConfig{InChannels: 3, Classes: 3, C: 4, Layers: 3, Auxiliary: true})
		x, y := batch(4, 3, 8)
		loss := func(grad bool) float64 {
			ctx := evalCtx(true, 0.2)
			ctx.T.NoGrad = !grad
			logits, aux := n.Forward(ctx, ctx.T.Const(x))
			l := ctx.T.Sum([]*autograd.Var{ctx.T.CrossEntropy(logits, y), ctx.T.CrossEntropy(aux, y)}, []float32{1, 0.4})
			if grad {
				ctx.T.Backward(l)
			}
			return float64(l.Value.Data[0])
		}
		n.W.ZeroGrad()
		loss(true)
		vars := n.W.Vars
		// Every parameter, the auxiliary head's included, is on the loss's path.
		for i, v := range vars {
			if !slices.ContainsFunc(v.Grad.Data, func(g float32) bool { return g != 0 }) {
				t.Errorf("%s: %s gets no gradient", name, n.W.Names[i])
			}
		}
		checkDirectional(t, name, vars, loss)
	}
}
