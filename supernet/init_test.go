package supernet

import (
	"hash/fnv"
	"math"
	"strings"

	"github.com/rdarts/rdarts/autograd"
	"testing"

	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
)

// paramSum hashes every weight's bits in registration order.
func paramSum(p *nn.Params, extra ...*autograd.Var) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, v := range append(append([]*autograd.Var(nil), p.Vars...), extra...) {
		for _, x := range v.Value.Data {
			u := math.Float32bits(x)
			b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
			h.Write(b[:])
		}
	}
	return h.Sum64()
}

func initNets(t *testing.T, init nn.Init) (*Network, *EvalNetwork) {
	t.Helper()
	sp, err := space.Get("darts")
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{Space: sp, InChannels: 3, Classes: 10, C: 8, Layers: 5, Init: init}, 11)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEval(space.DARTSV2, EvalConfig{InChannels: 3, Classes: 10, C: 8, Layers: 5, Auxiliary: true, Init: init}, 11)
	if err != nil {
		t.Fatal(err)
	}
	return n, e
}

// TestDefaultInitUnchanged pins the default initialisation: the sums were
// taken before the legacy scheme existed, so InitModern is today's init bit
// for bit (weights and α).
func TestDefaultInitUnchanged(t *testing.T) {
	const search, eval = 0xb0130442e790a385, 0xb4a35c7087633b93
	n, e := initNets(t, nn.InitModern)
	if got := paramSum(n.W, n.Alphas()...); got != search {
		t.Errorf("search network init sum %#x, want %#x", got, uint64(search))
	}
	if got := paramSum(e.W); got != eval {
		t.Errorf("evaluation network init sum %#x, want %#x", got, uint64(eval))
	}
}

func TestLegacyInit(t *testing.T) {
	mn, me := initNets(t, nn.InitModern)
	ln, le := initNets(t, nn.InitLegacy)
	for _, c := range []struct {
		what   string
		modern *nn.Params
		legacy *nn.Params
	}{{"search", mn.W, ln.W}, {"eval", me.W, le.W}} {
		if len(c.modern.Vars) != len(c.legacy.Vars) {
			t.Fatalf("%s: %d vs %d tensors", c.what, len(c.modern.Vars), len(c.legacy.Vars))
		}
		var dw, gammas int
		for i, v := range c.legacy.Vars {
			name, sh := c.legacy.Names[i], v.Shape()
			switch {
			case strings.HasSuffix(name, ".dw.weight"):
				// Depthwise: U(±1/√(C·k·k)) against U(±1/√(k·k)) today.
				ch, k := sh[0], sh[2]
				lb, mb := 1/math.Sqrt(float64(ch*k*k)), 1/math.Sqrt(float64(k*k))
				for j, x := range v.Value.Data {
					if math.Abs(float64(x)) > lb {
						t.Fatalf("%s %s: legacy |w| = %g above %g", c.what, name, x, lb)
					}
					if m := c.modern.Vars[i].Value.Data[j]; math.Abs(float64(m)) > mb {
						t.Fatalf("%s %s: modern |w| = %g above %g", c.what, name, m, mb)
					}
				}
				dw++
			case strings.HasSuffix(name, ".weight") && len(sh) == 1:
				// Affine BN γ: U(0,1) against 1.
				for j, x := range v.Value.Data {
					if x < 0 || x >= 1 {
						t.Fatalf("%s %s: legacy γ = %g", c.what, name, x)
					}
					if c.modern.Vars[i].Value.Data[j] != 1 {
						t.Fatalf("%s %s: modern γ = %g", c.what, name, c.modern.Vars[i].Value.Data[j])
					}
				}
				gammas++
			}
		}
		if dw == 0 || gammas == 0 {
			t.Errorf("%s: checked %d depthwise convs and %d BN γ", c.what, dw, gammas)
		}
	}
	// The search network's only affine BN is the stem's.
	if ln.W.Names[1] != "stem.bn.weight" {
		t.Errorf("second search tensor is %s", ln.W.Names[1])
	}
	bad := Config{Space: mn.Cfg.Space, InChannels: 3, Classes: 10, C: 8, Layers: 5, Init: nn.Init(9)}
	if err := bad.Validate(); err == nil {
		t.Error("Config.Validate accepted Init(9)")
	}
	if err := (EvalConfig{InChannels: 3, Classes: 10, C: 8, Layers: 5, Init: nn.Init(9)}).Validate(); err == nil {
		t.Error("EvalConfig.Validate accepted Init(9)")
	}
}
