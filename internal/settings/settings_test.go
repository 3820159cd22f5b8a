package settings

import (
	"slices"
	"strings"
	"testing"
)

type es struct {
	Window int     `yaml:"window"`
	Factor float64 `yaml:"factor"`
}

type cfg struct {
	Channels   int     `yaml:"init_channels"`
	BatchSize  int     `yaml:"batch_size"`
	ESSimulate bool    `yaml:"es_simulate"`
	ES         es      `yaml:"es"`
	Member     *member `yaml:"r_darts,omitempty"`
	Skip       int     `yaml:"-"`
}

type member struct {
	Value float64 `yaml:"value"`
}

func TestKeys(t *testing.T) {
	want := []string{"init_channels", "batch_size", "es_simulate", "es.window", "es.factor", "r_darts.value"}
	if got := Keys(cfg{}); !slices.Equal(got, want) {
		t.Errorf("Keys = %q, want %q", got, want)
	}
}

func TestKeyFlag(t *testing.T) {
	known := Keys(cfg{})
	for flag, key := range map[string]string{
		"init-channels": "init_channels", "--batch-size": "batch_size", "es-window": "es.window",
		"es-simulate": "es_simulate", "lr": "lr", "init_channels": "init_channels",
	} {
		if got := Key(flag, known); got != key {
			t.Errorf("Key(%q) = %q, want %q", flag, got, key)
		}
		if got, want := Flag(key), strings.TrimLeft(strings.ReplaceAll(flag, "_", "-"), "-"); got != want {
			t.Errorf("Flag(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestDecodeEitherSpelling: keys, flag names and prefixed group names all
// decode onto the same fields.
func TestDecodeEitherSpelling(t *testing.T) {
	for _, text := range []string{
		"init_channels: 8\nbatch_size: 32\nes_simulate: true\nes: {window: 3, factor: 1.5}\n",
		"init-channels: 8\nbatch-size: 32\nes-simulate: true\nes-window: 3\nes_factor: 1.5\n",
		"es-window: 3\ninit-channels: 8\nes: {factor: 1.5}\nbatch_size: 32\nes_simulate: true\n",
		`{"init-channels": 8, "batch_size": 32, "es_simulate": true, "es": {"window": 3}, "es-factor": 1.5}`,
	} {
		var c cfg
		if err := Decode([]byte(text), &c, "not a test setting"); err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if c.Channels != 8 || c.BatchSize != 32 || !c.ESSimulate || c.ES.Window != 3 || c.ES.Factor != 1.5 {
			t.Errorf("%q: decoded %+v", text, c)
		}
	}
}

// TestDecodeErrors: one line naming the line and the key.
func TestDecodeErrors(t *testing.T) {
	for text, want := range map[string]string{
		"init_channels: 8\ninit_chanels: 4\n":         "line 2: init_chanels: not a test setting",
		"init_channels: 8\ninit-channels: 4\n":        "line 2: init_channels: already set on line 1",
		"es: {window: 3}\nes-window: 4\n":             "line 2: es.window: already set on line 1",
		"es:\n  window: 3\n  widow: 4\n":              "line 3: es.widow: not a test setting",
		"es: 3\n":                                     "line 1: es: must be a mapping",
		"batch_size: many\n":                          "line 1: cannot unmarshal !!str `many` into int",
		"init_channels: [1\n":                         "line 1",
		"- 1\n- 2\n":                                  "must be a mapping of settings",
		"r_darts: {value: 0.2, family: l2}\n":         "line 1: r_darts.family: not a test setting",
		"batch_size: x\ninit_channels: y\n":           "(and 1 more)",
		"init_channels: 8\n\"\": 1\n":                 "line 2",
		"es:\n  window: 1\n  window: 2\n":             "line 3",
		"es_window: 1\nes_window: 2\n":                "line 2: es.window: already set on line 1",
		"es_simulate: true\nes-simulate: false\n":     "line 2: es_simulate: already set on line 1",
		"init_channels: 1\ninit_channels: 2\n":        "already set",
		"init_channels: 1\n---\ninit_channels: 2\n":   "",
		"init_channels: 8\nes_window: 3\nes: 4\n":     "must be a mapping",
		"init_channels: 8\nes_windows: 3\n":           "line 2: es_windows: not a test setting",
		"init_channels: 8\nes: {window: 3}\nes: {}\n": "line 3: es: already set on line 2",
	} {
		var c cfg
		err := Decode([]byte(text), &c, "not a test setting")
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%q: error %v, want one line containing %q", text, err, want)
		}
	}
	var c cfg
	if err := Decode(nil, &c, "x"); err != nil || c != (cfg{}) {
		t.Errorf("an empty file: %v %+v", err, c)
	}
}
