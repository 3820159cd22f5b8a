// Package hessian estimates the dominant eigenvalue of the Hessian ∇²_α L of
// the validation loss with respect to the architecture parameters, the
// quantity that DARTS-ES and DARTS-ADA track (docs/method.md, Eigen-analysis). It never sees a
// network: the caller hands in a GradFunc that writes ∇f(α) for any α, or a
// Hessian-vector product HVP.
//
// # What is computed
//
// "Dominant" follows the reference: the largest algebraic eigenvalue of the
// symmetric Hessian (numpy max(eigvals(H))), not the largest in magnitude.
// DominantEigenvalueHVP runs Lanczos with full reorthogonalisation on the
// operator v ↦ Hv; DominantEigenvalue builds that operator from the gradient
// by central finite differences. Exact builds the full Hessian column by
// column by the same differences, and Spectrum lists its eigenvalues; they
// are the slow, simple check of the fast path (2n gradient evaluations
// against 2 per Lanczos iteration).
//
// # Finite-difference step
//
// With a unit direction v, Hv ≈ (∇f(α+hv) − ∇f(α−hv)) / (2h) with
// h = Eps·max(1, ‖α‖₂). The truncation error is O(h²·‖∇³f‖) and the
// rounding error O(δ/h), where δ is the absolute error of one gradient. The
// caller's gradient comes from float32 network arithmetic (δ ≈ 1e-7 relative,
// more after long reductions), so h must not be tiny: the default Eps 1e-3
// keeps δ/h near 1e-4 of the gradient scale while the h² term stays below
// 1e-6 of the curvature for the softmax-smooth DARTS loss. Scaling by ‖α‖
// keeps the step relative once α grows past 1. The gradient function must be
// deterministic (fixed batch, fixed noise and drop-path masks, BN in the same
// mode for every call), or the differences measure the randomness.
//
// # Data
//
// Inputs are never modified: α is perturbed in a private copy. GradFunc and
// HVP write into caller-sized buffers owned by this package.
package hessian
