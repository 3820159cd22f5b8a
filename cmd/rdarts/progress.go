package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a bar per epoch on a terminal and plain log lines
// (every tenth of an epoch) otherwise.
type progress struct {
	w       io.Writer
	log     *slog.Logger
	tty     bool
	bar     *progressbar.ProgressBar
	epoch   int
	steps   int
	lastLog int
}

func newProgress(w io.Writer, log *slog.Logger) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, log: log, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) StartEpoch(epoch, epochs, steps, done int) {
	p.epoch, p.steps, p.lastLog = epoch, steps, done
	if p.tty {
		p.bar = progressbar.NewOptions(steps,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch+1, epochs)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("step"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish())
		p.bar.Set(done)
	}
}

func (p *progress) Step(step int, loss, acc float64) {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("epoch %d loss %.3f acc %.1f%%", p.epoch, loss, acc))
		p.bar.Set(step)
		return
	}
	if step-p.lastLog >= max(1, p.steps/10) || step == p.steps {
		p.lastLog = step
		p.log.Info("train", "epoch", p.epoch, "step", fmt.Sprintf("%d/%d", step, p.steps), "loss", fmt.Sprintf("%.4f", loss), "acc", fmt.Sprintf("%.2f", acc))
	}
}

func (p *progress) EndEpoch() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
