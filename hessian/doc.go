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
// operator v ↦ Hv. DominantEigenvalue builds that operator from the gradient
// by finite differences, takes the top Ritz vector y it finds, and returns
// y's Rayleigh quotient yᵀHy by central differences with Richardson
// extrapolation (RayleighQuotient, 4 gradients): its error is quadratic in
// the error of y and O(h⁴) in the step, so the products that found y may be
// cheaper and coarser (forward differences, Options.Forward). Exact builds
// the full Hessian column by column by central differences, and Spectrum
// lists its eigenvalues; they are the slow, simple check of the fast path
// (2n gradient evaluations against 1–2 per Lanczos iteration). Lanczos can
// start from an earlier eigenvector (Options.Start), which saves products
// when α has moved little.
//
// # Finite-difference step
//
// With a unit direction v, Hv ≈ (∇f(α+hv) − ∇f(α−hv)) / (2h). The
// truncation error is O(h²·‖∇⁴f‖) and the rounding error O(δ/h), where δ
// is the absolute error of one gradient; the caller's gradient comes from
// float32 network arithmetic, so h must not be tiny. The step is absolute,
// h = Step(Eps, α) = max(Eps, MinStepRel·‖α‖₂) with Eps = 1e-3 by default:
// the α-curvature of a softmax-mixed loss changes on a scale that does not
// grow with α (softmax's derivatives of every order are bounded), so a step
// relative to ‖α‖ grows too coarse as α grows (it put the DARTS space's
// λ_max 1.2 % high, search.TestGoldenPyTorch); the floor only keeps the
// float32 rounding of α ± h·v below about 1e-3 of the step for a very large
// α. Forward-difference products, whose truncation is O(h), use h/4
// (ForwardStep). Measured against PyTorch's double back-propagation on a
// tiny network: central differences along the top eigenvector are within
// 3e-4 at h = 3e-4 (DARTS space) to 1e-3 (S2), rounding takes over below
// 1e-4, and the refined value of DominantEigenvalue is within 3e-4 in both.
// The gradient function must be deterministic (fixed batch, fixed noise and
// drop-path masks, BN in the same mode for every call), or the differences
// measure the randomness.
//
// # Data
//
// Inputs are never modified: α is perturbed in a private copy. GradFunc and
// HVP write into caller-sized buffers owned by this package.
package hessian
