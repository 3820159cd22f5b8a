package benchmark

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rdarts/rdarts/internal/kernels"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU     string  `json:"cpu"`
	MHz     float64 `json:"mhz"`
	Cores   int     `json:"cores"`   // logical CPUs of the machine
	Threads int     `json:"threads"` // workers rdarts used
	// FlopsPerCycle is the FP32 operations one core can start per cycle,
	// inferred from the vector extensions (see PeakGFLOPS).
	FlopsPerCycle int `json:"flops_per_cycle"`
	// PeakGFLOPS is Threads × MHz × FlopsPerCycle: the nominal peak. The
	// clock /proc/cpuinfo reports is not the one the cores run at (they
	// boost above it), so this may lie below rates actually reached.
	PeakGFLOPS float64 `json:"peak_gflops"`
	// FMAPeakGFLOPS is the measured peak (FMAPeak): Threads cores running
	// a loop of independent vector FMAs; 0 where it cannot be measured.
	FMAPeakGFLOPS float64 `json:"fma_peak_gflops,omitempty"`
	// SgemmGFLOPS is the rate of the backend's own large SGEMM
	// (1024³, best of a few), the practical peak for these kernels.
	SgemmGFLOPS float64 `json:"sgemm_gflops"`
	Backend     string  `json:"backend"`
	GoVersion   string  `json:"go"`
	Commit      string  `json:"commit,omitempty"`
	Modified    bool    `json:"modified,omitempty"` // built from a tree with uncommitted changes
	// LoadAvg is /proc/loadavg's 1, 5 and 15 minute averages when probed:
	// above the thread count, other processes were competing for the cores.
	LoadAvg string `json:"loadavg,omitempty"`
}

// Probe reads /proc/cpuinfo and the build information; threads is the
// number of workers the backend uses. The measured rates (FMAPeakGFLOPS,
// SgemmGFLOPS) are left to the caller.
func Probe(k kernels.Backend, threads int) Machine {
	m := Machine{Cores: runtime.NumCPU(), Threads: threads, Backend: k.Name(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU, m.MHz, m.FlopsPerCycle = parseCPUInfo(b)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	m.PeakGFLOPS = float64(threads) * m.MHz / 1e3 * float64(m.FlopsPerCycle)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				m.Commit = s.Value
			case "vcs.modified":
				m.Modified = s.Value == "true"
			}
		}
	}
	return m
}

// parseCPUInfo takes the first processor's model, clock and FP32
// operations per cycle: two FMA pipes of the widest vector the flags admit
// (AVX-512 on Intel: 2×16×2 = 64; AMD's Zen 4 runs AVX-512 on 256-bit
// pipes, and AVX2+FMA gives 2×8×2 = 32; SSE only: 2×4 = 8). It is an upper
// bound: parts with a single 512-bit FMA unit reach half of it.
func parseCPUInfo(b []byte) (model string, mhz float64, perCycle int) {
	var flags, vendor string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "model name":
			if model == "" {
				model = val
			}
		case "vendor_id":
			if vendor == "" {
				vendor = val
			}
		case "cpu MHz":
			if mhz == 0 {
				mhz, _ = strconv.ParseFloat(val, 64)
			}
		case "flags":
			if flags == "" {
				flags = " " + val + " "
			}
		}
	}
	has := func(f string) bool { return strings.Contains(flags, " "+f+" ") }
	switch {
	case has("avx512f") && vendor != "AuthenticAMD":
		perCycle = 64
	case has("avx2") && has("fma") || has("avx512f"):
		perCycle = 32
	default:
		perCycle = 8
	}
	return model, mhz, perCycle
}

// SgemmRate times the backend's 1024×1024×1024 SGEMM and returns the best
// rate of three in GFLOPS.
func SgemmRate(k kernels.Backend) float64 {
	const n = 1024
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(i%7)*0.1, float32(i%5)*0.1
	}
	best := 0.0
	for range 3 {
		t := time.Now()
		k.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
		if r := float64(GemmFLOPs(n, n, n)) / time.Since(t).Seconds() / 1e9; r > best {
			best = r
		}
	}
	return best
}

// ResetPeakRSS starts a new high-water mark of the resident set: it
// returns freed memory to the OS and clears the kernel's VmHWM (writing 5 to
// /proc/self/clear_refs, Linux ≥ 4.0). It reports whether the reset worked;
// if not, PeakRSS is the high-water mark of the whole process.
func ResetPeakRSS() bool {
	runtime.GC()
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS returns VmHWM, the peak resident set size in bytes since the
// process started or ResetPeakRSS, or 0 where /proc is missing.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseVmHWM(b)
}

func parseVmHWM(b []byte) int64 {
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			kb, _ := strconv.ParseInt(f[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// CPUTime is the process's user + system CPU time in seconds.
func CPUTime() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// Peak is the peak a rate is measured against: the measured FMA peak
// where there is one, else the nominal one; name says which.
func (m Machine) Peak() (gflops float64, name string) {
	if m.FMAPeakGFLOPS > 0 {
		return m.FMAPeakGFLOPS, "measured"
	}
	return m.PeakGFLOPS, "nominal"
}
