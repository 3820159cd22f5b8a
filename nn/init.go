package nn

import "fmt"

// Init is a weight-initialisation scheme. The zero value is InitModern.
//
// The reference ran on PyTorch 0.3.1. Its defaults differ from today's in two
// places, and InitLegacy reproduces them:
//
//   - Convolutions draw U(±1/√n) with n = in_channels·kh·kw, the full input
//     channel count even for a grouped conv (0.3.1's _ConvNd.reset_parameters).
//     PyTorch ≥ 1.0 divides by the groups (fan_in = in_channels/groups·kh·kw),
//     so a depthwise k×k kernel over C channels starts √C times larger there
//     than in the reference: 4× at C = 16, 8× at C = 64. Dense convs (groups
//     1) are the same under both.
//   - An affine BatchNorm draws γ from U(0,1) (0.3.1's weight.uniform_());
//     PyTorch ≥ 1.0 sets γ = 1. β = 0 under both; BN without affine has no γ.
//
// Linear layers are U(±1/√in) for weight and bias under both (0.3.1's
// stdv = 1/√in_features equals PyTorch ≥ 1.0's kaiming_uniform(a=√5) bound).
type Init int

const (
	// InitModern is PyTorch ≥ 1.0's default initialisation (rdarts' default).
	InitModern Init = iota
	// InitLegacy is PyTorch 0.3.1's, the reference's.
	InitLegacy
)

// String is the scheme's name as ParseInit reads it.
func (i Init) String() string {
	switch i {
	case InitModern:
		return "modern"
	case InitLegacy:
		return "legacy"
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// ParseInit reads "modern" or "legacy".
func ParseInit(s string) (Init, error) {
	switch s {
	case "modern":
		return InitModern, nil
	case "legacy":
		return InitLegacy, nil
	}
	return 0, fmt.Errorf("unknown initialisation %q (want modern: PyTorch ≥ 1.0's defaults, or legacy: PyTorch 0.3.1's, the reference's)", s)
}

// Validate reports an Init that is neither InitModern nor InitLegacy.
func (i Init) Validate() error {
	if i != InitModern && i != InitLegacy {
		return fmt.Errorf("unknown initialisation %d (want modern or legacy)", int(i))
	}
	return nil
}

// MarshalText writes the scheme's name, so configs hold "modern"/"legacy".
func (i Init) MarshalText() ([]byte, error) {
	if err := i.Validate(); err != nil {
		return nil, err
	}
	return []byte(i.String()), nil
}

// UnmarshalText reads what MarshalText writes.
func (i *Init) UnmarshalText(b []byte) error {
	v, err := ParseInit(string(b))
	if err != nil {
		return err
	}
	*i = v
	return nil
}

// convFanIn is the n of a conv's U(±1/√n) under the scheme.
func (i Init) convFanIn(cin, groups, kh, kw int) int {
	if i == InitLegacy {
		return cin * kh * kw
	}
	return cin / groups * kh * kw
}

// Set parses s into i; with String and Type it makes *Init a command-line
// flag value (flag.Value, pflag.Value).
func (i *Init) Set(s string) error {
	v, err := ParseInit(s)
	if err != nil {
		return err
	}
	*i = v
	return nil
}

// Type names the flag's value type in help text.
func (i *Init) Type() string { return "modern|legacy" }
