// Package settings holds rdarts' one vocabulary for settings: a setting
// has a snake_case key in config files, grid files and JSON records
// ("init_channels") and a flag that is the same name with dashes
// ("--init-channels"). The constants of DARTS-ES and DARTS-ADA are nested
// in files ("es: {window: 5}") and prefixed as flags ("--es-window").
//
// On input either spelling is accepted wherever a user could write either
// (Normalize, Decode); on output only the key is written. Decode reads a
// YAML or JSON config strictly: an unknown key or a bad value is one error
// naming the line and the key.
package settings

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a problem with one key of a config: its line, the key (with
// its section, "es.window") and what is wrong.
type Error struct {
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s: %s", e.Line, e.Key, e.Msg) }

// In names the section a config error belongs to: the key of an *Error
// gets the section's prefix ("search.init_chanels"); another error is
// prefixed with "section: ".
func In(section string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Line: e.Line, Key: section + "." + e.Key, Msg: e.Msg}
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", section, err)
}

// Groups are the nested sections of a search config whose settings are
// flags with the group's prefix: es.window is --es-window.
var Groups = []string{"es", "ada"}

// Key is the config key of a flag name among the keys known of a config
// (Keys): dashes become underscores ("init-channels" → "init_channels"),
// and a group's prefix becomes its section when that names a known key
// ("es-start-epoch" → "es.start_epoch", but "es-simulate" →
// "es_simulate"). Leading dashes are dropped.
func Key(flag string, known []string) string {
	k := Normalize(flag)
	if slices.Contains(known, k) {
		return k
	}
	if g, rest, ok := grouped(k); ok && slices.Contains(known, g+"."+rest) {
		return g + "." + rest
	}
	return k
}

// Flag is the flag name of a config key: "init_channels" →
// "init-channels", "es.start_epoch" → "es-start-epoch".
func Flag(key string) string {
	return strings.NewReplacer("_", "-", ".", "-").Replace(key)
}

// Normalize is the key of a name written either way: a key, a flag name,
// with or without leading dashes ("--init-channels", "init-channels",
// "init_channels" → "init_channels"). Group prefixes are kept as written
// ("es-window" → "es_window"): NormalizeNode nests them.
func Normalize(name string) string {
	return strings.ReplaceAll(strings.TrimLeft(name, "-"), "-", "_")
}

// NormalizeNode rewrites the keys of a YAML mapping, and of the mappings
// nested in it, to their key spelling, and moves a group's prefixed keys
// (es_window, es-window) into the group's section when that names one of
// the known keys. A setting written twice (init_channels and
// init-channels) is an error naming both lines.
func NormalizeNode(n *yaml.Node, known []string) error {
	n = content(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	seen := map[string]int{}
	var out []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		k.Value = Normalize(k.Value)
		if err := NormalizeNode(v, nil); err != nil {
			return err
		}
		if g, rest, ok := grouped(k.Value); ok && !slices.Contains(known, k.Value) && slices.Contains(known, g+"."+rest) {
			sec := section(n, &out, g, k.Line)
			kk := *k
			kk.Value = rest
			sec.Content = append(sec.Content, &kk, v)
			if err := dupCheck(sec, g+"."); err != nil {
				return err
			}
			continue
		}
		if line, ok := seen[k.Value]; ok {
			return &Error{k.Line, k.Value, fmt.Sprintf("already set on line %d", line)}
		}
		seen[k.Value] = k.Line
		out = append(out, k, v)
	}
	n.Content = out
	return nil
}

// grouped splits "es_window" into ("es", "window").
func grouped(key string) (group, rest string, ok bool) {
	for _, g := range Groups {
		if rest, ok := strings.CutPrefix(key, g+"_"); ok {
			return g, rest, true
		}
	}
	return "", "", false
}

// section finds the mapping of group g among the keys kept so far (out),
// adding an empty one if there is none.
func section(n *yaml.Node, out *[]*yaml.Node, g string, line int) *yaml.Node {
	for i := 0; i+1 < len(*out); i += 2 {
		if (*out)[i].Value == g && (*out)[i+1].Kind == yaml.MappingNode {
			return (*out)[i+1]
		}
	}
	// A section written after its prefixed keys is merged by the
	// caller's later visit; look ahead for it too.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if Normalize(n.Content[i].Value) == g && n.Content[i+1].Kind == yaml.MappingNode {
			return n.Content[i+1]
		}
	}
	sec := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
	*out = append(*out, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: g, Line: line}, sec)
	return sec
}

// dupCheck refuses a key set twice in one mapping.
func dupCheck(m *yaml.Node, prefix string) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		v := Normalize(k.Value)
		if line, ok := seen[v]; ok {
			return &Error{k.Line, prefix + v, fmt.Sprintf("already set on line %d", line)}
		}
		seen[v] = k.Line
	}
	return nil
}

// content unwraps a document node.
func content(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n != nil && n.Kind == 0 {
		return nil // an empty file or section
	}
	return n
}

// Keys lists the keys of a config struct (its yaml tags, nested structs
// as "es.window"), in field order.
func Keys(v any) []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, inline := tagName(f)
			if name == "-" || !f.IsExported() {
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if inline {
				walk(ft, prefix)
				continue
			}
			if ft.Kind() == reflect.Struct && !implementsText(f.Type) {
				walk(ft, prefix+name+".")
				continue
			}
			out = append(out, prefix+name)
		}
	}
	walk(reflect.TypeOf(v), "")
	return out
}

// tagName is a field's yaml key and whether it is inlined.
func tagName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, slices.Contains(strings.Split(opts, ","), "inline")
}

var textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()

// implementsText reports whether values of t decode from a scalar.
func implementsText(t reflect.Type) bool {
	return t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)
}

// Check refuses any key of the mapping n (normalised first) that is not a
// key of the config struct v, naming its line, the key and what — a
// sentence like "not a search setting" — it is not.
func Check(n *yaml.Node, v any, what string) error {
	n = content(n)
	if n == nil {
		return nil
	}
	known := Keys(v)
	var walk func(m *yaml.Node, prefix string) error
	walk = func(m *yaml.Node, prefix string) error {
		if m.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, val := m.Content[i], m.Content[i+1]
			key := prefix + k.Value
			switch {
			case slices.Contains(known, key):
			case slices.ContainsFunc(known, func(s string) bool { return strings.HasPrefix(s, key+".") }):
				if val.Kind != yaml.MappingNode {
					return &Error{k.Line, key, fmt.Sprintf("must be a mapping (%s.…)", key)}
				}
				if err := walk(val, key+"."); err != nil {
					return err
				}
			default:
				return &Error{k.Line, key, what}
			}
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: must be a mapping of settings", n.Line)
	}
	return walk(n, "")
}

// DecodeNode decodes a YAML node onto dst (which holds the defaults): keys
// are normalised (NormalizeNode), checked against dst's keys (Check, what
// naming what an unknown key is not), then the values decoded; the error
// is the first problem, naming its line and key.
func DecodeNode(n *yaml.Node, dst any, what string) error {
	if content(n) == nil {
		return nil
	}
	if err := NormalizeNode(n, Keys(dst)); err != nil {
		return err
	}
	if err := Check(n, dst, what); err != nil {
		return err
	}
	if err := n.Decode(dst); err != nil {
		return errors.New(First(err))
	}
	return nil
}

// Decode is DecodeNode on the text of a YAML or JSON file.
func Decode(text []byte, dst any, what string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return errors.New(First(err))
	}
	return DecodeNode(&doc, dst, what)
}

// First keeps the first problem of a YAML error (it names the line): one
// error line, however many problems there are.
func First(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		if n := len(te.Errors) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
		return msg
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
