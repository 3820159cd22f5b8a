package runfolder

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
)

// FlagName is the command-line spelling of a settings key: the JSON key
// with dashes for underscores and dots ("es.factor" → "es-factor").
func FlagName(key string) string {
	return strings.NewReplacer("_", "-", ".", "-").Replace(key)
}

// Finite returns an error naming the first float field of the settings
// struct v (by its flag name) that is NaN or ±Inf. Flags, config files and
// grid files all end in such a struct, so one check covers them all.
func Finite(v any) error {
	if key, ok := NonFinite(v); ok {
		x, _ := lookupFloat(v, key)
		return fmt.Errorf("%s: must be a finite number, have %v", FlagName(key), x)
	}
	return nil
}

// NonFinite returns the JSON key (dotted for nested fields) of the first
// float field of v that is NaN or ±Inf.
func NonFinite(v any) (key string, found bool) {
	err := finite(reflect.ValueOf(v), "")
	if err == nil {
		return "", false
	}
	return err.(nonFinite).key, true
}

type nonFinite struct{ key string }

func (e nonFinite) Error() string { return e.key }

// lookupFloat finds the first non-finite float again, for the message.
func lookupFloat(v any, key string) (float64, bool) {
	var out float64
	var walk func(reflect.Value) bool
	walk = func(r reflect.Value) bool {
		switch r.Kind() {
		case reflect.Pointer, reflect.Interface:
			return !r.IsNil() && walk(r.Elem())
		case reflect.Float32, reflect.Float64:
			if x := r.Float(); math.IsNaN(x) || math.IsInf(x, 0) {
				out = x
				return true
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < r.Len(); i++ {
				if walk(r.Index(i)) {
					return true
				}
			}
		case reflect.Struct:
			for i := 0; i < r.NumField(); i++ {
				if r.Type().Field(i).IsExported() && walk(r.Field(i)) {
					return true
				}
			}
		}
		return false
	}
	return out, walk(reflect.ValueOf(v))
}

func finite(v reflect.Value, prefix string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return finite(v.Elem(), prefix)
	case reflect.Float32, reflect.Float64:
		if x := v.Float(); math.IsNaN(x) || math.IsInf(x, 0) {
			return nonFinite{prefix}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := finite(v.Index(i), prefix); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			key := name
			if f.Anonymous {
				key = strings.TrimSuffix(prefix, ".")
			} else if prefix != "" {
				key = prefix + "." + name
			}
			if err := finite(v.Field(i), key); err != nil {
				return err
			}
		}
	}
	return nil
}

// Change is a setting that differs between a saved run and what was given.
type Change struct {
	Key          string // JSON key, dotted for nested settings
	Saved, Given string // JSON values
}

// String names the flag with both values.
func (c Change) String() string {
	return fmt.Sprintf("--%s (saved %s, given %s)", FlagName(c.Key), c.Saved, c.Given)
}

// Diff lists the settings whose JSON values differ between saved and
// given (two values of one settings type), in key order.
func Diff(saved, given any) ([]Change, error) {
	a, err := flatten(saved)
	if err != nil {
		return nil, err
	}
	b, err := flatten(given)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []Change
	for _, k := range slices.Sorted(mapsKeys(keys)) {
		if a[k] != b[k] {
			out = append(out, Change{Key: k, Saved: orNone(a[k]), Given: orNone(b[k])})
		}
	}
	return out, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// flatten turns a settings value into dotted key → JSON value.
func flatten(v any) (map[string]string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, x := range m {
			if sub, ok := x.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			j, _ := json.Marshal(x) // cannot fail: x came from json.Unmarshal
			out[prefix+k] = string(j)
		}
	}
	walk("", m)
	return out, nil
}
