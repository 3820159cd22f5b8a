//go:build unix

package report

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chromiumFlags start Debian's chromium headless in this sandbox: no GPU, no
// setuid sandbox (tests may run as root), and none of its background
// connections, which a closed network refuses (or fails to resolve) at
// every start. Each run gets a fresh --user-data-dir.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
	"--disable-background-networking", "--disable-quic", "--disable-component-update", "--disable-sync",
}

// probeScript is put at the top of a copy of index.html (the report itself
// has no scripts). Chromium does not log a missing or undecodable image of
// a file:// page to stderr — "Failed to load resource" is a DevTools
// network message, not a console one — so the probe turns every image
// error into a console error (which --enable-logging=stderr does print, as
// an INFO:CONSOLE line) and, once the load event has fired, writes what it
// saw into the DOM for --dump-dom.
const probeScript = `<script>
var broken = [];
window.addEventListener("error", function (e) {
  var t = e.target;
  if (t && t.tagName === "IMG") { broken.push(t.getAttribute("src")); console.error("broken image " + t.getAttribute("src")); }
}, true);
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0 && imgs[i].naturalHeight > 0) { ok++; }
  }
  document.body.setAttribute("data-probe", "images " + ok + " of " + imgs.length + " rendered; broken: " + broken.join(" "));
});
</script>`

// controlImage is a missing image the probe page adds on purpose: the probe
// must report it, so a probe that sees nothing cannot pass.
const controlImage = "img/no-such-image-control.png"

// pageErrorRE picks the stderr lines that concern the page: console
// messages (the report has no scripts, so any is an error: an uncaught
// exception is logged as `INFO:CONSOLE... "Uncaught ...`) and failed loads.
// Chromium's own complaints about its surroundings are left alone: dbus
// (no system bus in a container), bluez/UPower/ScreenSaver over dbus,
// vaapi (no DRM device), the GPU-process sandbox warning, and the Debian
// launcher's "[: ...: unexpected operator" (its shell test of the memory
// size) — none of them depend on the page.
var pageErrorRE = regexp.MustCompile(`:CONSOLE[:(]|Failed to load resource|net::ERR_|ERR_FILE_NOT_FOUND|Uncaught `)

// chromium runs the browser with flags, then url, in its own process group
// (killed when ctx ends, and after it exits, so no renderer outlives the
// test) and returns stdout and stderr.
func chromium(ctx context.Context, t *testing.T, bin string, url string, flags ...string) (stdout, stderr []byte, err error) {
	args := append(slices.Clone(chromiumFlags), "--user-data-dir="+t.TempDir())
	args = append(append(args, flags...), url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second // children holding the pipes after a kill
	err = cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stragglers of this run only; ESRCH when none
	}
	return o.Bytes(), e.Bytes(), err
}

func pageErrors(stderr []byte) []string {
	var out []string
	for _, l := range strings.Split(string(stderr), "\n") {
		if pageErrorRE.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

var imgSrcRE = regexp.MustCompile(`<img\b[^>]*\bsrc="([^"]*)"`)

func imgSrcs(page []byte) []string {
	var out []string
	for _, m := range imgSrcRE.FindAllSubmatch(page, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// TestReportInChromium renders the report of the tiny fixture runs, with a
// retraining result in each so every kind of figure is there, in headless
// Chromium: a screenshot of index.html, and the DOM of a probed copy.
func TestReportInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not on PATH: apt-get install chromium (Debian's package) to run this test")
	}
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	f := runs(t)
	base := t.TempDir()
	var dirs []string
	for i, src := range []string{f.darts1, f.darts2, f.es, f.ada} {
		dst := filepath.Join(base, filepath.Base(src))
		os.MkdirAll(dst, 0o755)
		for _, name := range []string{"config.json", "metrics.jsonl", "result.json", "genotype.txt"} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dst, name), b, 0o644)
		}
		writeRetrain(t, filepath.Join(dst, "retrain"), 10+float64(i), genotypeOf(dst), "")
		dirs = append(dirs, dst)
	}
	got, warnings := Load(dirs, quiet)
	if len(got) != 4 {
		t.Fatalf("want 4 runs, have %d (%q)", len(got), warnings)
	}
	out := filepath.Join(t.TempDir(), "report")
	if _, err := WriteHTML(got, warnings, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	srcs := imgSrcs(page)
	title := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(page)
	if len(srcs) == 0 || title == nil {
		t.Fatalf("index.html: %d images, title %q", len(srcs), title)
	}
	// The probed copy sits beside index.html so its relative paths hold.
	probe := bytes.Replace(page, []byte("</title>"), []byte("</title>\n"+probeScript), 1)
	probe = bytes.Replace(probe, []byte("</body>"), []byte(`<img src="`+controlImage+`" alt="control">`+"\n</body>"), 1)
	if err := os.WriteFile(filepath.Join(out, "probe.html"), probe, 0o644); err != nil {
		t.Fatal(err)
	}
	fileURL := func(name string) string {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(out, name))}).String()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	shot := filepath.Join(t.TempDir(), "report.png")
	var wg sync.WaitGroup
	var shotErr, domErr error
	var shotStderr, dom, domStderr []byte
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, shotStderr, shotErr = chromium(ctx, t, bin, fileURL("index.html"),
			"--enable-logging=stderr", "--v=0", "--hide-scrollbars", "--screenshot="+shot, "--window-size=1280,2000")
	}()
	go func() {
		defer wg.Done()
		dom, domStderr, domErr = chromium(ctx, t, bin, fileURL("probe.html"), "--enable-logging=stderr", "--v=0", "--dump-dom")
	}()
	wg.Wait()
	t.Logf("chromium: %v for the screenshot and the DOM, side by side", time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish in 60 s: %v", ctx.Err())
	}
	if shotErr != nil || domErr != nil {
		t.Fatalf("chromium failed: screenshot %v, DOM %v\nstderr:\n%s\n%s", shotErr, domErr, shotStderr, domStderr)
	}

	// The screenshot of the page as it is.
	if errs := pageErrors(shotStderr); len(errs) > 0 {
		t.Errorf("index.html: errors in chromium's log:\n%s", strings.Join(errs, "\n"))
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\nstderr:\n%s", err, shotStderr)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	r := img.Bounds()
	if r.Dx() != 1280 || r.Dy() != 2000 {
		t.Errorf("screenshot is %v, want 1280×2000", r.Size())
	}
	ink := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if cr, cg, cb, _ := img.At(x, y).RGBA(); cr < 0xf000 || cg < 0xf000 || cb < 0xf000 {
				ink++
			}
		}
	}
	if frac := float64(ink) / float64(r.Dx()*r.Dy()); frac < 0.01 {
		t.Errorf("screenshot nearly blank: %.2f %% of pixels not white", 100*frac)
	} else {
		t.Logf("screenshot %s: %.1f %% of pixels not white", shot, 100*frac)
	}
	if keep := os.Getenv("RDARTS_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, b, 0o644); err != nil {
			t.Error(err)
		}
	}

	// The DOM of the probed copy, after its load event.
	if !bytes.Contains(dom, []byte("<title>"+string(title[1])+"</title>")) || !bytes.Contains(dom, []byte("<h1>"+string(title[1])+"</h1>")) {
		t.Errorf("dumped DOM lacks the title and heading %q", title[1])
	}
	if have := imgSrcs(dom); !slices.Equal(have, append(slices.Clone(srcs), controlImage)) {
		t.Errorf("dumped DOM has images %q, index.html %q (and the control)", have, srcs)
	}
	want := fmt.Sprintf(`data-probe="images %d of %d rendered; broken: %s"`, len(srcs), len(srcs)+1, controlImage)
	if m := regexp.MustCompile(`data-probe="[^"]*"`).Find(dom); string(m) != want {
		t.Errorf("probe says %s, want %s", m, want)
	}
	errs := pageErrors(domStderr)
	control := 0
	for _, l := range errs {
		if strings.Contains(l, "broken image "+controlImage) {
			control++
		} else {
			t.Errorf("probe.html: error in chromium's log: %s", l)
		}
	}
	if control != 1 {
		t.Errorf("the control image's error should be logged once, have %d times; log lines:\n%s", control, strings.Join(errs, "\n"))
	}
}
