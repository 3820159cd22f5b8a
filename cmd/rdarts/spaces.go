package main

import (
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/rdarts/rdarts/rnnsearch"
)

// The recurrent space (--space rnn) shares search, train, robust and report
// with the convolutional spaces. A command binds the flags of both kinds
// of settings; each kind's config is built by replaying the flags given
// over its own defaults (its binder), and a flag only the other kind has
// is refused naming it (foreignFlag).

// isRecurrent reports whether a --space value names the recurrent space.
func isRecurrent(space string) bool { return strings.EqualFold(space, rnnsearch.Space) }

// recurrentWhat names the recurrent space in errors.
const recurrentWhat = "the recurrent space (--space rnn)"

// foreignFlag is the first flag given, in name order, that other binds and
// own does not: a setting of the other kind of space.
func foreignFlag(given givenFlags, own, other func(*pflag.FlagSet)) (string, bool) {
	o, x := pflag.NewFlagSet("own", pflag.ContinueOnError), pflag.NewFlagSet("other", pflag.ContinueOnError)
	own(o)
	other(x)
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if o.Lookup(name) == nil && x.Lookup(name) != nil {
			return name, true
		}
	}
	return "", false
}

// refuseForeign is the usage error for a flag of the other kind of space:
// what names the space the command runs on.
func refuseForeign(given givenFlags, own, other func(*pflag.FlagSet), what string) error {
	if name, ok := foreignFlag(given, own, other); ok {
		return usageErr("--%s: not a setting of %s", name, what)
	}
	return nil
}

// configSpace is the space a config file names, "" if none (or if it does
// not parse: decoding it again reports that).
func configSpace(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var c struct {
		Space string `yaml:"space"`
	}
	if yaml.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.Space
}

// convolutionalRun refuses a recurrent run folder given to a command that
// reads convolutional searches only (hessian, analyze).
func convolutionalRun(dir, command string) error {
	if rnnsearch.IsRun(dir) {
		return usageErr("%s: a recurrent run (--space rnn): %s reads the convolutional spaces' searches; a recurrent search records its eigenvalue with --hessian-every and DARTS-ES' decisions with --method darts-es --es-simulate", dir, command)
	}
	return nil
}
