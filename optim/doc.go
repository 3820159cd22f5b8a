// Package optim holds the optimisers, learning-rate schedule and gradient
// clipping of the RobustDARTS search (docs/method.md, Optimisers and schedule): SGD with momentum and coupled
// weight decay for the network weights w, Adam with L2 added to the gradient
// for the architecture parameters α, cosine annealing set per epoch, and
// clipping of the total gradient norm.
//
// # Data
//
// A Param is a caller-owned pair of float32 slices. Optimisers read Grad and
// update Value in place; they never keep a reference to either slice after
// Step returns. Their own state (momentum buffers, Adam moments) is indexed
// by the position of the Param in the slice given to Step, so a caller must
// pass the same parameters in the same order on every step.
//
// # Arithmetic
//
// Storage and per-element arithmetic are float32, in the order of PyTorch's
// CPU kernels (add with alpha, addcmul, addcdiv), with every elementary
// operation rounded to float32 on its own. Products are wrapped in explicit
// float32 conversions so the Go compiler never fuses them into FMAs on any
// architecture; results are therefore the same on every platform, which is
// what bit-exact checkpoint/resume needs. Scalars derived from the
// hyperparameters (bias corrections, step sizes) are computed in float64, as
// Python does, and rounded to float32 once per step, as PyTorch does when it
// passes a Python float into a float32 kernel. GPU PyTorch fuses a*b+c into
// FMAs, so agreement with any particular PyTorch run is to the last ulp or
// two, not bit for bit.
//
// # State
//
// State and SetState copy the optimiser state into and out of plain structs
// of slices, suitable for encoding/json or encoding/gob. Hyperparameters are
// exported fields that may be changed between steps (DARTS-ADA multiplies the
// SGD weight decay after a rollback).
//
// # Panics
//
// Misuse that is a programming error (a Param whose Value and Grad differ in
// length, a different number or size of parameters than on earlier steps, a
// malformed state) panics with a message prefixed "optim:" before any
// parameter is modified.
package optim
