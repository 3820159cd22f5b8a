package space

// Operation names, spelled exactly as DARTS and RobustDARTS spell them.
const (
	OpNone          = "none"
	OpNoise         = "noise"
	OpMaxPool3x3    = "max_pool_3x3"
	OpAvgPool3x3    = "avg_pool_3x3"
	OpSkipConnect   = "skip_connect"
	OpSepConv3x3    = "sep_conv_3x3"
	OpSepConv5x5    = "sep_conv_5x5"
	OpSepConv7x7    = "sep_conv_7x7"
	OpDilConv3x3    = "dil_conv_3x3"
	OpDilConv5x5    = "dil_conv_5x5"
	OpConv7x1And1x7 = "conv_7x1_1x7"
)

// opNames is the order OpNames reports; it follows the op table of docs/method.md
// (Operations).
var opNames = []string{
	OpNone, OpNoise, OpMaxPool3x3, OpAvgPool3x3, OpSkipConnect,
	OpSepConv3x3, OpSepConv5x5, OpSepConv7x7,
	OpDilConv3x3, OpDilConv5x5, OpConv7x1And1x7,
}

// OpNames returns every known operation name, in a fixed order.
func OpNames() []string {
	return append([]string(nil), opNames...)
}

// Known reports whether name is a known operation name.
func Known(name string) bool {
	for _, n := range opNames {
		if n == name {
			return true
		}
	}
	return false
}
