package report

import (
	"encoding/xml"
	"os/exec"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/space"
)

func TestRNNCellDrawings(t *testing.T) {
	g := space.RNNDARTSV2
	dot := RNNCellDOT(g)
	for _, want := range []string{`"x_{t}" -> "0"`, `"0" -> "1" [label="sigmoid"`, `"5" -> "8" [label="relu"`, `"8" -> "h_{t}"`} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s:\n%s", want, dot)
		}
	}
	if n := strings.Count(dot, "-> \"h_{t}\""); n != 8 {
		t.Errorf("%d edges into h_{t}, want 8", n)
	}
	svg := RNNCellSVG(g)
	var doc struct{ XMLName xml.Name }
	if err := xml.Unmarshal(svg, &doc); err != nil || doc.XMLName.Local != "svg" {
		t.Fatalf("not SVG: %v", err)
	}
	// 2 input edges, 8 node edges, 8 concat edges.
	if n := strings.Count(string(svg), `fill="none" stroke`); n != 18 {
		t.Errorf("%d edges drawn, want 18", n)
	}
	if strings.Count(string(svg), ">sigmoid<") != 2 || strings.Count(string(svg), ">h_{t}<") != 1 {
		t.Error("labels missing")
	}
	if path, err := exec.LookPath("dot"); err == nil {
		if _, err := dotSVG(path, dot); err != nil {
			t.Errorf("Graphviz rejects the DOT: %v", err)
		}
	}
}
