package tensor

import "testing"

func TestArenaReuse(t *testing.T) {
	a := NewArena()
	x := a.Get(2, 3)
	y := a.Zeros(6)
	if len(x.Data) != 6 || y.Data[0] != 0 {
		t.Fatal("bad buffers")
	}
	// Put early: the next Get of that size reuses it without a new buffer.
	a.Put(x.Data)
	z := a.Get(3, 2)
	if &z.Data[0] != &x.Data[0] {
		t.Error("Put buffer not reused")
	}
	before := a.Bytes()
	a.Release()
	if a.Bytes() != before {
		t.Errorf("Release changed held memory: %d → %d", before, a.Bytes())
	}
	// After Release both buffers are free exactly once.
	p, q, r := a.Get(6), a.Get(6), a.Get(6)
	if &p.Data[0] == &q.Data[0] || a.Bytes() != before+24 {
		t.Errorf("buffers handed out twice or lost: %d bytes", a.Bytes())
	}
	_ = r
}

func TestShapes(t *testing.T) {
	x := New(2, 3, 4, 5)
	if n, c, h, w := x.Dims("test"); n != 2 || c != 3 || h != 4 || w != 5 || x.Len() != 120 {
		t.Error("dims")
	}
	defer func() {
		if recover() == nil {
			t.Error("From with a wrong size did not panic")
		}
	}()
	From(make([]float32, 5), 2, 3)
}
