package runfolder

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Diverged is the error of a run in which a quantity became NaN or Inf at
// an epoch's step (step < 0: at the end of the epoch); it wraps
// ErrDiverged and says what is kept.
func Diverged(what string, epoch, step int, dir, hint string) error {
	at := fmt.Sprintf("at epoch %d, step %d", epoch, step)
	if step < 0 {
		at = fmt.Sprintf("at the end of epoch %d", epoch)
	}
	kept := "no epoch had finished, nothing to resume"
	if epoch > 0 {
		kept = fmt.Sprintf("the last good checkpoint (end of epoch %d) is kept in %s", epoch-1, dir)
	}
	return fmt.Errorf("%w: %s became NaN or Inf %s; %s — %s", ErrDiverged, what, at, kept, hint)
}

// MemoryBytes is the machine's memory (MemTotal of /proc/meminfo), or 0
// when it cannot be read.
func MemoryBytes() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "MemTotal:" {
			kb, err := strconv.ParseFloat(fs[1], 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

// memoryLimit, when > 0, replaces the machine's memory (tests).
var memoryLimit float64

// CheckMemory refuses a run whose estimated memory need exceeds the
// machine's memory, naming what needs it, the estimate and the memory.
func CheckMemory(need float64, what string) error {
	have := memoryLimit
	if have == 0 {
		have = MemoryBytes()
	}
	if have == 0 || need <= have {
		return nil
	}
	return fmt.Errorf("%s needs about %s of memory; this machine has %s: make it smaller", what, gib(need), gib(have))
}

func gib(b float64) string {
	if b >= 1<<50 {
		return fmt.Sprintf("%.3g PiB", b/(1<<50))
	}
	return fmt.Sprintf("%.1f GiB", b/(1<<30))
}
