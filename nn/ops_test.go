package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/tensor"
)

// TestOpsShapesAndParams builds every op for C=4 and checks its output shape
// for stride 1 and 2 on a 7×7 and an 8×8 input, and its parameter count
// against the hand count (affine BN: 2 per channel).
func TestOpsShapesAndParams(t *testing.T) {
	const c = 4
	bn := 2 * c
	sep := func(k int) int { return 2 * (c*k*k + c*c + bn) } // two [dw k×k, 1×1, BN] halves
	dil := func(k int) int { return c*k*k + c*c + bn }
	want := map[string]int{
		"none": 0, "noise": 0, "max_pool_3x3": 0, "avg_pool_3x3": 0,
		"skip_connect": 0, // stride 1; stride 2 is FactorizedReduce: 2 × 1×1 c→c/2, BN
		"sep_conv_3x3": sep(3), "sep_conv_5x5": sep(5), "sep_conv_7x7": sep(7),
		"dil_conv_3x3": dil(3), "dil_conv_5x5": dil(5),
		"conv_7x1_1x7": 2*c*c*7 + bn,
	}
	for op, params := range want {
		for _, s := range []int{1, 2} {
			for _, h := range []int{8, 7} {
				if op == "skip_connect" && s == 2 && h == 7 {
					continue // FactorizedReduce needs an even input, as in DARTS
				}
				p := NewParams(rand.New(rand.NewPCG(1, 2)))
				l, err := NewOp(p, op, op, OpConfig{C: c, Stride: s, Affine: true})
				if err != nil {
					t.Fatal(err)
				}
				wantP := params
				if op == "skip_connect" && s == 2 {
					wantP = 2*(c*c/2) + bn
				}
				if p.Count() != wantP {
					t.Errorf("%s stride %d: %d parameters, want %d", op, s, p.Count(), wantP)
				}
				tp := autograd.NewTape(fast.Backend{})
				x := tensor.New(2, c, h, h)
				for i := range x.Data {
					x.Data[i] = float32(i%7) - 3
				}
				ctx := &Ctx{T: tp, Train: true, Rng: rand.New(rand.NewPCG(3, 4))}
				y := l.Forward(ctx, tp.Const(x))
				oh := (h + s - 1) / s
				if sh := y.Shape(); sh[0] != 2 || sh[1] != c || sh[2] != oh || sh[3] != oh {
					t.Errorf("%s stride %d on %d×%d: output %v, want [2 %d %d %d]", op, s, h, h, sh, c, oh, oh)
				}
			}
		}
	}
	if _, err := NewOp(NewParams(rand.New(rand.NewPCG(1, 1))), "x", "conv_9x9", OpConfig{C: c, Stride: 1}); err == nil {
		t.Error("unknown op accepted")
	}
}

// TestSnapshotRestore round-trips parameters and BN statistics and refuses
// a snapshot of another layout.
func TestSnapshotRestore(t *testing.T) {
	p := NewParams(rand.New(rand.NewPCG(1, 2)))
	NewConv(p, "c", 2, 3, 3, 3, autograd.ConvOpts{})
	b := NewBatchNorm(p, "bn", 3, true)
	s := p.Snapshot()
	p.Vars[0].Value.Data[0] = 42
	b.State.Mean[1] = 7
	if err := p.Restore(s); err != nil {
		t.Fatal(err)
	}
	if p.Vars[0].Value.Data[0] == 42 || b.State.Mean[1] != 0 {
		t.Error("restore did not restore")
	}
	q := NewParams(rand.New(rand.NewPCG(1, 2)))
	NewConv(q, "c", 2, 4, 3, 3, autograd.ConvOpts{})
	NewBatchNorm(q, "bn", 3, true)
	if err := q.Restore(s); err == nil {
		t.Error("snapshot of another shape accepted")
	}
}
