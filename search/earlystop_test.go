package search

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// λ of the logged runs (the reference implementation's logs: S1, CIFAR-10, seed 1, dominant EV at epochs
// 0, 2, …, 48 and 49), as printed there to 4 decimals.
var loggedRuns = []struct {
	name              string
	evs               string
	decided, stop     int     // first stop (0, 0 if never)
	current, previous float64 // la[−1], la[−5] at that check, from those logs
}{
	{"dp0 wd3e-4", "0.1788 0.1482 0.1703 0.1464 0.1211 0.2488 0.2311 0.3595 0.2246 0.3859 0.2085 0.4298 0.5083 0.2287 0.4098 0.5024 0.4997 0.25 0.4574 0.5168 0.6438 0.4592 0.7071 1.3192 0.5272 0.5212", 22, 10, 0.3217, 0.2214},
	{"dp0 wd2.7e-3", "0.1437 0.1032 0.1397 0.1363 0.1172 0.2384 0.1898 0.1708 0.1537 0.149 0.1214 0.1941 0.1877 0.0845 0.1989 0.2216 0.1539 0.1224 0.164 0.3208 0.2613 0.281 0.4405 0.614 0.5054 0.4391", 42, 30, 0.2299, 0.1563},
	{"dp0 wd2.43e-2", "0.1013 0.1081 0.0986 0.2449 0.1434 0.1204 0.1473 0.2586 0.2395 0.1731 0.2325 0.1764 0.1353 0.2609 0.1963 0.2718 0.1799 0.1549 0.2327 0.1867 0.246 0.1783 0.1371 0.2063 0.0956 0.1712", 0, 0, 0, 0},
	{"dp0.6 wd3e-4", "0.1073 0.1456 0.1727 0.1179 0.1271 0.1413 0.1477 0.1606 0.2074 0.2037 0.1395 0.2078 0.1887 0.1505 0.1353 0.1978 0.1851 0.2074 0.2796 0.1758 0.2389 0.2902 0.2151 0.3365 0.2632 0.7043", 22, 10, 0.1838, 0.1389},
}

// series pairs the 26 logged values with their epochs 0, 2, …, 48, 49.
func series(t *testing.T, s string) []EpochEV {
	t.Helper()
	f := strings.Fields(s)
	if len(f) != 26 {
		t.Fatalf("%d values, want 26", len(f))
	}
	out := make([]EpochEV, len(f))
	for i, x := range f {
		v, err := strconv.ParseFloat(x, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = EpochEV{Epoch: min(2*i, 49), EV: v}
	}
	return out
}

func evsOf(s []EpochEV) []float64 {
	out := make([]float64, len(s))
	for i, e := range s {
		out[i] = e.EV
	}
	return out
}

// TestLoggedRuns feeds each logged run through Observe/Finish and checks the
// first stop against the logs' stops.
//
// Hand check of the first run's stop: the first check is at epoch 22
// (la epoch 22−4 = 18, 18−8 = 10 ≥ 10), where
//
//	la[−1] = la[9] = mean λ(epochs 14…22) = (0.3595+0.2246+0.3859+0.2085+0.4298)/5 = 1.6083/5 = 0.32166
//	la[−5] = la[5] = mean λ(epochs 6…14)  = (0.1464+0.1211+0.2488+0.2311+0.3595)/5 = 1.1069/5 = 0.22138
//
// and 0.32166/0.22138 = 1.453 > 1.3: stop, stop epoch 22−12 = 10.
// Second run, at epoch 42 (the first check with a ratio above 1.3):
// la[−1] = λ(34…42) = (0.1224+0.164+0.3208+0.2613+0.281)/5 = 1.1495/5 = 0.2299,
// la[−5] = λ(26…34) = (0.0845+0.1989+0.2216+0.1539+0.1224)/5 = 0.7813/5 = 0.15626; 1.4713 > 1.3.
func TestLoggedRuns(t *testing.T) {
	for _, r := range loggedRuns {
		es := NewEarlyStop()
		decided, stop := 0, 0
		var c ESCheck
		evs := series(t, r.evs)
		for _, e := range evs[:25] {
			if s, se := es.Observe(e.Epoch, e.EV); s && decided == 0 {
				decided, stop = e.Epoch, se
				c, _ = es.LastCheck()
			}
		}
		es.Finish(49, evs[25].EV)
		if decided != r.decided || stop != r.stop {
			t.Errorf("%s: first stop decided at %d, stop epoch %d; want %d, %d", r.name, decided, stop, r.decided, r.stop)
			continue
		}
		if decided != 0 && (math.Abs(c.Current-r.current) > 1e-4 || math.Abs(c.Previous-r.previous) > 1e-4 || !c.Stop || c.Epoch != decided) {
			t.Errorf("%s: check %+v, want %.4f / %.4f", r.name, c, r.current, r.previous)
		}
		if got := len(es.LocalAverages()); got != 26 {
			t.Errorf("%s: %d local averages, want 26", r.name, got)
		}
		// The offline replay is the same rule.
		d2, s2, ok := StopEpoch(evs, 49, nil)
		if d2 != r.decided || s2 != r.stop || ok != (r.decided != 0) {
			t.Errorf("%s: StopEpoch = %d, %d, %v; want %d, %d", r.name, d2, s2, ok, r.decided, r.stop)
		}
		// And so are the plot script's centred averages, entry for entry.
		if ma, la := CentredAverages(evsOf(evs), 5), es.LocalAverages(); !slices.Equal(ma, la) {
			t.Errorf("%s: CentredAverages %v\n != LocalAverages %v", r.name, ma, la)
		}
	}
}

// TestLocalAveragesFirstRun checks the 26 local averages of the first logged
// run. They were computed from the unrounded λ, so three of them (0.1836,
// 0.4452, 0.5568) differ in the 4th decimal from means of the rounded λ
// (0.18354, 0.44526, 0.55686): the tolerance is 1e-4, two half-units.
// Hand values of the rule's three regimes:
//
//	la[0]  = mean(λ0, λ2, λ4) = (0.1788+0.1482+0.1703)/3 = 0.4973/3 = 0.165767  (3 evaluations: mean of all)
//	la[1]  = mean of 4 = (0.4973+0.1464)/4 = 0.6437/4 = 0.160925
//	la[2]  = mean of λ0…λ8 = (0.6437+0.1211)/5 = 0.7648/5 = 0.15296              (sliding window from here)
//	la[25] = mean(λ46, λ48, λ49) = (1.3192+0.5272+0.5212)/3 = 2.3676/3 = 0.78920 (last end-of-run average)
func TestLocalAveragesFirstRun(t *testing.T) {
	want := []float64{0.1658, 0.1609, 0.1530, 0.1670, 0.1836, 0.2214, 0.2370, 0.2900, 0.2819, 0.3217, 0.3514, 0.3522,
		0.3570, 0.4158, 0.4298, 0.3781, 0.4239, 0.4452, 0.4735, 0.4654, 0.5568, 0.7292, 0.7313, 0.7068, 0.7687, 0.7892}
	es := NewEarlyStop()
	evs := series(t, loggedRuns[0].evs)
	for i, e := range evs[:25] {
		es.Observe(e.Epoch, e.EV)
		if got, wantN := len(es.LocalAverages()), max(0, i+1-2); got != wantN {
			t.Fatalf("after %d evaluations: %d local averages, want %d", i+1, got, wantN)
		}
	}
	es.Finish(49, evs[25].EV)
	la := es.LocalAverages()
	if len(la) != len(want) {
		t.Fatalf("%d local averages, want %d", len(la), len(want))
	}
	for i := range want {
		if math.Abs(la[i]-want[i]) > 1e-4 {
			t.Errorf("la[%d] = %.5f, want %.4f", i, la[i], want[i])
		}
	}
	for i, w := range map[int]float64{0: 0.4973 / 3, 1: 0.160925, 2: 0.15296, 25: 0.78920} {
		if math.Abs(la[i]-w) > 1e-12 {
			t.Errorf("la[%d] = %.12g, want %.12g", i, la[i], w)
		}
	}
}

// TestFirstCheckEpoch: λ = 1 up to epoch 8 and 10 from epoch 10 makes every
// ratio from epoch 14 on far above 1.3, but no check may come before epoch
// 22 (la epoch 18, minus 8 = 10 = start epoch). At 22: la[−1] = mean λ(14…22)
// = 10, la[−5] = mean λ(6…14) = (1+1+10+10+10)/5 = 6.4, ratio 1.5625: stop at 10.
func TestFirstCheckEpoch(t *testing.T) {
	es := NewEarlyStop()
	for e := 0; e <= 20; e += 2 {
		ev := 1.0
		if e >= 10 {
			ev = 10
		}
		if stop, _ := es.Observe(e, ev); stop {
			t.Fatalf("stopped at epoch %d, before the first check epoch 22", e)
		}
		if _, ok := es.LastCheck(); ok {
			t.Fatalf("epoch %d was a check epoch", e)
		}
	}
	stop, se := es.Observe(22, 10)
	c, ok := es.LastCheck()
	if !stop || se != 10 || !ok || c.Current != 10 || math.Abs(c.Previous-6.4) > 1e-12 {
		t.Errorf("epoch 22: stop %v at %d, check %+v; want stop at 10 with 10/6.4", stop, se, c)
	}
}

// TestFactorIsStrict: λ = 1 at epochs 0…12 and 6 from epoch 14 on. At the
// first check (epoch 22) la[−1] = mean λ(14…22) = 6 and la[−5] = mean
// λ(6…14) = (1+1+1+1+6)/5 = 2, a ratio of exactly 3: no stop with factor 3
// (the test is "> factor"), a stop with factor 2.999.
func TestFactorIsStrict(t *testing.T) {
	var evs []EpochEV
	for e := 0; e <= 22; e += 2 {
		ev := 1.0
		if e >= 14 {
			ev = 6
		}
		evs = append(evs, EpochEV{Epoch: e, EV: ev})
	}
	for _, c := range []struct {
		factor float64
		stop   bool
	}{{3, false}, {2.999, true}} {
		cfg := NewEarlyStop()
		cfg.Factor = c.factor
		decided, stop, ok := StopEpoch(evs, 49, cfg)
		if ok != c.stop || (ok && (decided != 22 || stop != 10)) {
			t.Errorf("factor %v: %d, %d, %v; want stop %v (at 22 → 10)", c.factor, decided, stop, ok, c.stop)
		}
	}
}

// TestOfflinePlotRule: on the logged runs the plot script's rule agrees with
// the online one (ratios 1.453 at i = 5, 1.4713 at i = 15, never, 1.3231 at
// i = 5). It differs when λ jumps at the very end: λ = 1 at epochs 0…48 and
// 10 at 49. Online, the last check (epoch 48) averages only ones. Offline,
// ma[23] = (1+1+1+1+10)/5 = 2.8 over ma[19] = 1 fires at i = 19 → epoch 38.
func TestOfflinePlotRule(t *testing.T) {
	for _, r := range loggedRuns {
		s, ok := OfflineStopEpoch(evsOf(series(t, r.evs)), nil)
		if s != r.stop || ok != (r.decided != 0) {
			t.Errorf("%s: OfflineStopEpoch = %d, %v; want %d", r.name, s, ok, r.stop)
		}
	}
	late := make([]EpochEV, 26)
	for i := range late {
		late[i] = EpochEV{Epoch: min(2*i, 49), EV: 1}
	}
	late[25].EV = 10
	if s, ok := OfflineStopEpoch(evsOf(late), nil); !ok || s != 38 {
		t.Errorf("late jump: OfflineStopEpoch = %d, %v; want 38", s, ok)
	}
	if _, _, ok := StopEpoch(late, 49, nil); ok {
		t.Error("late jump: the online rule fired, but it never sees the end-of-run averages")
	}
}

// TestTruncateTo: after DARTS-ADA's rollback to epoch 10 the tracker equals
// one that only saw epochs 0…10, and continues like it.
func TestTruncateTo(t *testing.T) {
	evs := series(t, loggedRuns[0].evs)
	es := NewEarlyStop()
	for _, e := range evs[:12] { // epochs 0…22: stops at 22
		es.Observe(e.Epoch, e.EV)
	}
	es.TruncateTo(10)
	fresh := NewEarlyStop()
	for _, e := range evs[:6] { // epochs 0…10
		fresh.Observe(e.Epoch, e.EV)
	}
	if !slices.Equal(es.History(), fresh.History()) || !slices.Equal(es.LocalAverages(), fresh.LocalAverages()) {
		t.Fatalf("truncated history %v\n != fresh %v", es.History(), fresh.History())
	}
	// New, flat λ after the rollback: neither tracker stops at 22 now (with the
	// reference's untruncated tracker the old λ of 12…22 would still count).
	for e := 12; e <= 24; e += 2 {
		s1, _ := es.Observe(e, 0.2)
		s2, _ := fresh.Observe(e, 0.2)
		if s1 || s2 {
			t.Fatalf("epoch %d: flat λ after the rollback stopped (truncated %v, fresh %v)", e, s1, s2)
		}
	}
	// Truncating away the final evaluation re-opens the run.
	es.Finish(49, 1)
	es.TruncateTo(48)
	es.Observe(48, 0.2)
}

func TestEarlyStopStateJSON(t *testing.T) {
	evs := series(t, loggedRuns[1].evs)
	es := NewEarlyStop()
	for _, e := range evs[:15] {
		es.Observe(e.Epoch, e.EV)
	}
	b, err := json.Marshal(es.State())
	if err != nil {
		t.Fatal(err)
	}
	var st EarlyStopState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	var resumed EarlyStop
	resumed.SetState(st)
	for _, e := range evs[15:25] {
		s1, e1 := es.Observe(e.Epoch, e.EV)
		s2, e2 := resumed.Observe(e.Epoch, e.EV)
		if s1 != s2 || e1 != e2 {
			t.Fatalf("epoch %d: original %v %d, resumed %v %d", e.Epoch, s1, e1, s2, e2)
		}
	}
	if !slices.Equal(es.LocalAverages(), resumed.LocalAverages()) {
		t.Error("local averages differ after resume")
	}
	if _, stop, ok := StopEpoch(resumed.History(), 49, &resumed); !ok || stop != 30 {
		t.Errorf("replayed resumed history: stop %d, %v; want 30", stop, ok)
	}
}

func TestObservePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"same epoch":     func() { es := NewEarlyStop(); es.Observe(2, 1); es.Observe(2, 1) },
		"after Finish":   func() { es := NewEarlyStop(); es.Finish(49, 1); es.Observe(50, 1) },
		"zero value":     func() { var es EarlyStop; es.Observe(0, 1) },
		"finish twice":   func() { es := NewEarlyStop(); es.Finish(49, 1); es.Finish(50, 1) },
		"bad state":      func() { NewEarlyStop().SetState(EarlyStopState{History: []EpochEV{{4, 1}, {2, 1}}}) },
		"finished empty": func() { NewEarlyStop().SetState(EarlyStopState{Finished: true}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
