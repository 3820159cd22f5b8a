// Package search is the bilevel architecture search of DARTS and the
// RobustDARTS methods built on it (docs/method.md § Bilevel step,
// § DARTS-ES, § DARTS-ADA, § RS-ws).
//
// The maths lives in small types named as the paper names them:
// Bilevel (the first- and second-order step), EarlyStop (the DARTS-ES
// rule), Adaptive (DARTS-ADA's weight-decay schedule) and the eigen-
// analysis (Bilevel.DominantEigenvalue). A Method (DARTS, DARTSES,
// DARTSADA, RandomWS) decides after each epoch whether the search goes
// on, stops or rolls back.
//
// Runner is one search run on its run folder: it owns the search's
// records — Config (config.json), Metrics (metrics.jsonl), EigenRecord
// (eigen.jsonl), Outcome (result.json) — each written only by Runner and
// read only by LoadConfig, ReadMetrics and ReadResult. The folder's life
// cycle (lock, atomic writes, resume and overwrite rules) and the epoch
// loop are internal/runfolder's; Open loads a run's state read-only for
// the analyses of package analysis.
package search
