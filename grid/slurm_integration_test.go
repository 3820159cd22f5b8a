package grid

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSlurmIntegration starts a one-node Slurm cluster on localhost
// (munged, slurmctld and slurmd with a slurm.conf written here, all as
// root), submits a tiny grid with `rdarts grid run --slurm`, waits for it,
// checks every task's outputs and stops the daemons it started. It needs
// Debian's slurm-wlm and munge and RDARTS_SLURM_TEST=1:
//
//	apt-get install -y slurm-wlm munge
//	RDARTS_SLURM_TEST=1 go test -count=1 -run TestSlurmIntegration -v ./grid
func TestSlurmIntegration(t *testing.T) {
	if os.Getenv("RDARTS_SLURM_TEST") != "1" {
		t.Skip("set RDARTS_SLURM_TEST=1 to start a one-node Slurm cluster (needs root and Debian's slurm-wlm and munge)")
	}
	if os.Getuid() != 0 {
		t.Skip("the Slurm test starts slurmd, which needs root")
	}
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin")
	for _, b := range []string{"munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not found: apt-get install -y slurm-wlm munge", b)
		}
	}
	dir, err := os.MkdirTemp("/tmp", "rdarts-slurm-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755) // munged wants its socket's folder reachable by all
	c := startCluster(t, dir)
	defer c.stop(t)
	t.Setenv("SLURM_CONF", c.conf)

	bin := filepath.Join(dir, "rdarts")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/rdarts").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, _ := filepath.Abs("../data/testdata/fashion-mnist")
	gridText := `
out: out
spaces: [s2, s3]
datasets: [fashion-mnist]
methods: [darts]
seeds: [1]
data: {fashion-mnist: ` + data + `}
search: {epochs: 1, layers: 2, init_channels: 4, batch_size: 16, order: 1}
`
	// The retrain stage once rdarts train has the flags a tiny run needs.
	help, _ := exec.Command(bin, "train", "--help").CombinedOutput()
	retrain := true
	for _, f := range []string{"--genotype", "--epochs", "--layers", "--init-channels", "--batch-size"} {
		retrain = retrain && bytes.Contains(help, []byte(f))
	}
	if retrain {
		gridText += "retrain: true\ntrain: {epochs: 1, layers: 2, init_channels: 4, batch_size: 16}\n"
	} else {
		t.Log("rdarts train lacks --genotype/--epochs/--layers/--init-channels/--batch-size: testing the search stage only")
	}
	file := filepath.Join(dir, "grid.yaml")
	os.WriteFile(file, []byte(gridText), 0o644)
	rd := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("rdarts %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := rd("grid", "run", file, "--slurm", "--cpus-per-task", "1", "--time", "10:00")
	t.Logf("grid run --slurm:\n%s", out)
	if !strings.Contains(out, "search: submitted job") || (retrain && !strings.Contains(out, "retrain: submitted job")) {
		t.Fatalf("submission: %s", out)
	}
	f, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Plan()
	if err != nil {
		t.Fatal(err)
	}
	want := len(p.Search) + len(p.Retrain)
	deadline := time.Now().Add(5 * time.Minute)
	var status string
	for {
		status = rd("grid", "status", file)
		if strings.Contains(status, fmt.Sprintf("%d tasks: %d done", want, want)) {
			break
		}
		if strings.Contains(status, " failed") || time.Now().After(deadline) {
			c.dump(t, p)
			t.Fatalf("grid did not finish:\n%s", status)
		}
		time.Sleep(2 * time.Second)
	}
	t.Logf("grid status:\n%s", status)
	for _, tk := range p.All() {
		for _, name := range []string{"config.json", "result.json"} {
			if _, err := os.Stat(filepath.Join(tk.Dir, name)); err != nil {
				t.Errorf("%s %s: %v", tk.Stage, tk.ID, err)
			}
		}
	}
	for _, tk := range p.Search {
		if _, err := os.Stat(filepath.Join(tk.Dir, "genotype.txt")); err != nil {
			t.Errorf("%s: %v", tk.ID, err)
		}
	}
	if out := rd("grid", "run", file, "--slurm"); !strings.Contains(out, "search: all 2 tasks finished, nothing to submit") {
		t.Errorf("resubmission: %s", out)
	}
}

type cluster struct {
	dir, conf string
	pids      []string // pid files of the daemons started
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startCluster(t *testing.T, dir string) *cluster {
	c := &cluster{dir: dir, conf: filepath.Join(dir, "slurm.conf")}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	mdir := filepath.Join(dir, "munge")
	os.MkdirAll(mdir, 0o755)
	for _, d := range []string{"state", "spool"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	key := make([]byte, 1024)
	rf, _ := os.Open("/dev/urandom")
	rf.Read(key)
	rf.Close()
	if err := os.WriteFile(filepath.Join(mdir, "munge.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(mdir, "munge.sock")
	conf := fmt.Sprintf(`ClusterName=rdartstest
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[3]d
SlurmdPort=%[4]d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=%[5]s
CredType=cred/munge
StateSaveLocation=%[2]s/state
SlurmdSpoolDir=%[2]s/spool
SlurmctldPidFile=%[2]s/slurmctld.pid
SlurmdPidFile=%[2]s/slurmd.pid
SlurmctldLogFile=%[2]s/slurmctld.log
SlurmdLogFile=%[2]s/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=%[6]d State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`, host, dir, freePort(t), freePort(t), sock, runtime.NumCPU())
	if err := os.WriteFile(c.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func(pidFile string, name string, args ...string) {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			c.stop(t)
			t.Skipf("the Slurm daemons cannot run here: %s: %v\n%s%s", name, err, out, c.logs())
		}
		c.pids = append(c.pids, pidFile)
	}
	start(filepath.Join(mdir, "munged.pid"), "munged", "--force", "--socket="+sock, "--key-file="+filepath.Join(mdir, "munge.key"),
		"--log-file="+filepath.Join(mdir, "munged.log"), "--pid-file="+filepath.Join(mdir, "munged.pid"), "--seed-file="+filepath.Join(mdir, "munged.seed"))
	start(filepath.Join(dir, "slurmctld.pid"), "slurmctld", "-f", c.conf)
	start(filepath.Join(dir, "slurmd.pid"), "slurmd", "-f", c.conf, "-N", host)
	deadline := time.Now().Add(45 * time.Second)
	for {
		cmd := exec.Command("sinfo", "-h", "-o", "%T")
		cmd.Env = append(os.Environ(), "SLURM_CONF="+c.conf)
		out, _ := cmd.CombinedOutput()
		s := strings.TrimSpace(string(out))
		if s == "idle" || s == "mixed" || s == "allocated" {
			return c
		}
		if time.Now().After(deadline) {
			c.stop(t)
			t.Skipf("the Slurm node did not come up here (sinfo: %q)%s", s, c.logs())
		}
		time.Sleep(time.Second)
	}
}

func (c *cluster) logs() string {
	var b strings.Builder
	for _, f := range []string{"slurmctld.log", "slurmd.log", "munge/munged.log"} {
		data, _ := os.ReadFile(filepath.Join(c.dir, f))
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "\n--- %s (tail)\n%s", f, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}

func (c *cluster) dump(t *testing.T, p *Plan) {
	t.Log(c.logs())
	outs, _ := filepath.Glob(filepath.Join(p.SlurmDir(), "*.out"))
	logs, _ := filepath.Glob(filepath.Join(p.File.Out, "logs", "*", "*.log"))
	for _, f := range append(outs, logs...) {
		data, _ := os.ReadFile(f)
		t.Logf("--- %s\n%s", f, data)
	}
}

// stop ends the daemons this test started (by their pid files, newest
// first) and waits for them to go.
func (c *cluster) stop(t *testing.T) {
	for i := len(c.pids) - 1; i >= 0; i-- {
		b, err := os.ReadFile(c.pids[i])
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 1 {
			continue
		}
		syscall.Kill(pid, syscall.SIGTERM)
		for range 100 {
			if syscall.Kill(pid, 0) != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			t.Logf("pid %d (%s) still alive after SIGTERM; sending SIGKILL", pid, c.pids[i])
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	c.pids = nil
}
