package grid

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rdarts/rdarts/internal/atomicfile"
)

// Slurm submits a plan as one job array per stage: the search array, then
// the retrain array with --dependency=afterok on it. Each array element
// runs `rdarts grid task FILE --stage STAGE --id ID` (the index → id list
// is written into the script and next to it as .ids), which does what the
// local executor does for one task: skip if finished, resume if
// interrupted. Only unfinished tasks are submitted, so submitting again
// after a failure or a time limit finishes the rest.
type Slurm struct {
	Binary      string // rdarts, on a file system the nodes share
	Global      []string
	Partition   string
	Time        string
	CPUsPerTask int
	Mem         string
	Account     string
	MaxParallel int      // array throttle (%N); 0 = none
	Extra       []string // further sbatch options, e.g. --qos=normal
	Sbatch      string   // the sbatch command; "" = sbatch
	// DryRun writes the scripts but submits nothing.
	DryRun bool
}

// Job is one submitted array, a line of slurm/jobs.jsonl.
type Job struct {
	Stage     string    `json:"stage"`
	JobID     string    `json:"job_id"`
	Script    string    `json:"script"`
	IDs       []string  `json:"ids"`     // array index → task id
	Indices   []int     `json:"indices"` // the submitted indices
	Submitted time.Time `json:"submitted"`
}

// SlurmDir is where scripts, id lists, jobs.jsonl and Slurm's logs go.
func (p *Plan) SlurmDir() string { return filepath.Join(p.File.Out, "slurm") }

// Script is the sbatch script of one stage's array.
func (s Slurm) Script(p *Plan, stage string, indices []int) string {
	tasks := p.Tasks(stage)
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=rdarts-%s\n", stage)
	arr := joinInts(indices)
	if s.MaxParallel > 0 {
		arr += "%" + strconv.Itoa(s.MaxParallel)
	}
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", arr)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(p.SlurmDir(), stage+"-%A_%a.out"))
	opt := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, "#SBATCH --%s=%s\n", name, v)
		}
	}
	opt("partition", s.Partition)
	opt("time", s.Time)
	if s.CPUsPerTask > 0 {
		opt("cpus-per-task", strconv.Itoa(s.CPUsPerTask))
	}
	opt("mem", s.Mem)
	opt("account", s.Account)
	for _, e := range s.Extra {
		fmt.Fprintf(&b, "#SBATCH %s\n", e)
	}
	b.WriteString("set -euo pipefail\n")
	b.WriteString("# array index → task id (as in the .ids file next to this script)\nIDS=(\n")
	for _, t := range tasks {
		fmt.Fprintf(&b, "  %s\n", t.ID)
	}
	b.WriteString(")\n")
	args := []string{shellQuote(s.Binary), "--threads", `"${SLURM_CPUS_PER_TASK:-1}"`}
	for _, g := range s.Global {
		args = append(args, shellQuote(g))
	}
	args = append(args, "grid", "task", shellQuote(p.File.Path), "--stage", stage, "--id", `"${IDS[$SLURM_ARRAY_TASK_ID]}"`)
	fmt.Fprintf(&b, "exec %s\n", strings.Join(args, " "))
	return b.String()
}

// Submit writes and submits the arrays of the unfinished tasks; w receives
// a line per submitted array. It returns the jobs, also appended to
// slurm/jobs.jsonl.
func (s Slurm) Submit(ctx context.Context, p *Plan, w io.Writer) ([]Job, error) {
	if err := os.MkdirAll(p.SlurmDir(), 0o755); err != nil {
		return nil, err
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	var jobs []Job
	dependency := ""
	for _, stage := range Stages {
		tasks := p.Tasks(stage)
		var todo []int
		ids := make([]string, len(tasks))
		for i, t := range tasks {
			ids[i] = t.ID
			if !t.Done() {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			if len(tasks) > 0 {
				fmt.Fprintf(w, "%s: all %d tasks finished, nothing to submit\n", stage, len(tasks))
			}
			continue
		}
		base := filepath.Join(p.SlurmDir(), stage+"-"+stamp)
		if err := atomicfile.Write(base+".ids", []byte(strings.Join(ids, "\n")+"\n")); err != nil {
			return jobs, err
		}
		if err := atomicfile.Write(base+".sh", []byte(s.Script(p, stage, todo))); err != nil {
			return jobs, err
		}
		job := Job{Stage: stage, Script: base + ".sh", IDs: ids, Indices: todo, Submitted: time.Now().UTC()}
		if s.DryRun {
			fmt.Fprintf(w, "%s: wrote %s (%d tasks; --dry-run: not submitted)\n", stage, job.Script, len(todo))
			jobs = append(jobs, job)
			continue
		}
		args := []string{"--parsable"}
		if dependency != "" {
			args = append(args, "--dependency=afterok:"+dependency)
		}
		args = append(args, job.Script)
		sbatch := s.Sbatch
		if sbatch == "" {
			sbatch = "sbatch"
		}
		out, err := exec.CommandContext(ctx, sbatch, args...).CombinedOutput()
		if err != nil {
			return jobs, fmt.Errorf("%s %s: %v: %s", sbatch, strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
		job.JobID, err = parseJobID(out)
		if err != nil {
			return jobs, err
		}
		if err := appendJob(p, job); err != nil {
			return jobs, err
		}
		dependency = job.JobID
		dep := ""
		if len(jobs) > 0 {
			dep = " after " + jobs[len(jobs)-1].JobID
		}
		fmt.Fprintf(w, "%s: submitted job %s, %d tasks%s (%s)\n", stage, job.JobID, len(todo), dep, job.Script)
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// parseJobID reads `sbatch --parsable`'s answer: "jobid" or "jobid;cluster".
func parseJobID(out []byte) (string, error) {
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(line, '\n'); i >= 0 { // warnings come first
		line = line[i+1:]
	}
	id, _, _ := strings.Cut(line, ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", fmt.Errorf("sbatch --parsable answered %q, not a job id", strings.TrimSpace(string(out)))
	}
	return id, nil
}

func appendJob(p *Plan, j Job) error {
	line, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encoding job %s: %w", j.JobID, err)
	}
	f, err := os.OpenFile(filepath.Join(p.SlurmDir(), "jobs.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Jobs reads slurm/jobs.jsonl (none if absent).
func (p *Plan) Jobs() ([]Job, error) {
	f, err := os.Open(filepath.Join(p.SlurmDir(), "jobs.jsonl"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var jobs []Job
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var j Job
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		jobs = append(jobs, j)
	}
	return jobs, sc.Err()
}

func joinInts(v []int) string {
	// Ranges keep long arrays short: 0-3,5,7-9.
	var parts []string
	for i := 0; i < len(v); {
		j := i
		for j+1 < len(v) && v[j+1] == v[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", v[i], v[j]))
		} else {
			parts = append(parts, strconv.Itoa(v[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QueueFunc returns the Slurm state (PENDING, RUNNING, COMPLETED, FAILED,
// …) of array elements "jobid_index" of the given jobs.
type QueueFunc func(ctx context.Context, jobIDs []string) (map[string]string, error)

// SlurmQueue asks squeue (recent jobs) and sacct (where accounting is on).
func SlurmQueue(ctx context.Context, jobIDs []string) (map[string]string, error) {
	states := map[string]string{}
	if len(jobIDs) == 0 {
		return states, nil
	}
	list := strings.Join(jobIDs, ",")
	var errs []string
	if out, err := exec.CommandContext(ctx, "sacct", "-n", "-P", "-X", "-j", list, "-o", "JobID,State").Output(); err == nil {
		parseStates(out, "|", states)
	} else {
		errs = append(errs, "sacct: "+errText(err))
	}
	// squeue knows the live state better than a lagging sacct.
	if out, err := exec.CommandContext(ctx, "squeue", "-h", "-r", "-t", "all", "-j", list, "-o", "%i %T").Output(); err == nil {
		parseStates(out, " ", states)
	} else {
		errs = append(errs, "squeue: "+errText(err))
	}
	if len(errs) == 2 {
		return states, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return states, nil
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return strings.TrimSpace(string(ee.Stderr))
	}
	return err.Error()
}

func parseStates(out []byte, sep string, states map[string]string) {
	for _, line := range strings.Split(string(out), "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), sep)
		if !ok || !strings.Contains(id, "_") || strings.Contains(id, "[") {
			continue
		}
		if f := strings.Fields(state); len(f) > 0 {
			states[id] = f[0] // "CANCELLED by 0" → CANCELLED
		}
	}
}
