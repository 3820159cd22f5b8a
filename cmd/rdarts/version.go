package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/internal/provenance"
)

type versionOptions struct{ json bool }

func newCmdVersion(g *globals) *cobra.Command {
	o := &versionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the build of rdarts: version, commit, Go, backend, CPU features",
		Long: `Print which rdarts this is: the module version, the VCS commit it was built from and whether
the working tree had uncommitted changes (stamped by go build inside a git checkout), the Go
version, the platform, the compute backend (--backend) with its GEMM library, the CPU features
its kernels use, and the threads (--threads). Every run folder keeps the same record for each
start and resume in provenance.jsonl, and rdarts report shows it.`,
		Example: `  rdarts version
  rdarts version --json --backend purego`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runVersion(g, o) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON object")
	return cmd
}

func runVersion(g *globals, o *versionOptions) error {
	k, err := g.kernels()
	if err != nil {
		return err
	}
	r := provenance.Collect(k.Name())
	if o.json {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(g.stdout, "%s\n", b)
		return err
	}
	commit := r.Revision
	switch {
	case commit == "":
		commit = "unknown (no VCS stamp: built outside a git checkout, or with -buildvcs=false)"
	case r.Modified:
		commit += " (with uncommitted changes)"
	}
	gemm := ""
	if r.GEMM != "" {
		gemm = ", GEMM " + r.GEMM
	}
	_, err = fmt.Fprintf(g.stdout, "rdarts %s (%s)\ncommit:  %s\ncommitted: %s\ngo:      %s %s/%s, cgo %v\nbackend: %s%s, CPU features %s, %d threads\n",
		r.Version, r.Module, commit, orUnknown(r.CommitTime), r.GoVersion, r.OS, r.Arch, r.Cgo, r.Backend, gemm, r.CPUFeatures, r.Threads)
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
