package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/internal/parallel"
	"github.com/rdarts/rdarts/search"
)

// globals are the flags every command shares.
type globals struct {
	backend string
	threads int
	quiet   bool
	stdout  io.Writer
	stderr  io.Writer
}

// kernels picks the compute backend: the one place that does.
func (g *globals) kernels() (kernels.Backend, error) {
	if g.threads < 0 || g.threads > search.MaxThreads {
		return nil, usageErr("--threads: must be between 0 (all cores) and %d, have %d", search.MaxThreads, g.threads)
	}
	if g.threads > 0 {
		runtime.GOMAXPROCS(g.threads)
		parallel.SetWorkers(g.threads)
	}
	switch g.backend {
	case "fast":
		return fast.Backend{}, nil
	case "purego":
		return purego.Backend{}, nil
	}
	return nil, usageErr("--backend: %q is not one of fast, purego", g.backend)
}

func (g *globals) logger() *slog.Logger {
	level := slog.LevelInfo
	if g.quiet {
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

func notYet(cmd *cobra.Command, _ []string) error {
	return fmt.Errorf("%s is not implemented yet", cmd.CommandPath())
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErr(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "rdarts",
		Short: "RobustDARTS: differentiable architecture search with Hessian eigenvalue analysis",
		Long: `rdarts searches neural cell architectures with DARTS (first or second order), tracks the
dominant eigenvalue of the validation-loss Hessian w.r.t. the architecture, and runs the
RobustDARTS remedies (DARTS-ES, DARTS-ADA, R-DARTS(L2/DP)) — on a CPU, without Python.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.backend, "backend", "fast", "compute kernels: fast (OpenBLAS + parallel Go) or purego (reference)")
	root.PersistentFlags().IntVar(&g.threads, "threads", 0, "cores to use (0 = all)")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "only warnings and errors on stderr")
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.AddCommand(newCmdSearch(g), newCmdData(g), newCmdTrain(g), newCmdAnalyze(g), newCmdExhaustive(g),
		newCmdReport(g), newCmdGrid(g), newCmdBench(g), newCmdHessian(g), newCmdRobust(g), newCmdVersion(g), newCmdDocs(g))
	return root
}

// run executes the command line and turns errors into exit codes: the one
// place that does.
func run(args []string) int {
	g := &globals{stdout: os.Stdout, stderr: os.Stderr}
	root := newRoot(g)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return execute(ctx, g, root)
}

// execute runs root and returns the exit status (see exitCode).
func execute(ctx context.Context, g *globals, root *cobra.Command) int {
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && cmd != nil && cmd != root && isArgError(err) {
		err = usageErr("%s: %v", cmd.CommandPath(), err) // cobra's message names no command
	}
	return exitCode(g, err)
}

// isArgError recognises cobra's complaints about the number of arguments.
func isArgError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "accepts ") || strings.HasPrefix(msg, "requires at least") || strings.HasPrefix(msg, "requires at most")
}

// oneLine folds a multi-line message onto one line: cobra's "Did you
// mean this?" suggestions become "(did you mean search or bench?)".
func oneLine(msg string) string {
	if head, sugg, ok := strings.Cut(msg, "\n\nDid you mean this?\n"); ok {
		names := strings.Fields(sugg)
		if len(names) > 0 {
			return head + " (did you mean " + strings.Join(names, " or ") + "?)"
		}
		return head
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " ")
}

// exitCode prints err once and maps it to the exit status: 0 ok, 1 an error
// of the world (files, data, divergence), 2 a usage error, 130 interrupted.
func exitCode(g *globals, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, search.ErrInterrupted):
		fmt.Fprintln(g.stderr, "rdarts:", oneLine(err.Error()))
		return 130
	}
	fmt.Fprintln(g.stderr, "rdarts:", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isFlagError(err) {
		return 2
	}
	return 1
}

// isFlagError recognises cobra's and pflag's own complaints.
func isFlagError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "invalid argument", "flag needs", "unknown command", "accepts ", "requires at least", "required flag", "if any flags in the group"} {
		if len(msg) >= len(p) && contains(msg, p) {
			return true
		}
	}
	return false
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
