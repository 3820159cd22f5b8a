// Package train retrains a genotype from scratch — the evaluation protocol
// of docs/method.md (Retraining) — and runs exhaustive ground-truth studies of small spaces.
//
// # Protocol
//
// A Runner trains supernet.EvalNetwork on the whole training set (or its
// first TrainSize images) and tests it on the whole test set after every
// epoch, in eval mode with the test transform. The loss is
// CE + AuxWeight·CE_aux while the auxiliary head is on; SGD with momentum
// and coupled weight decay, gradient clipping over every weight (the head's
// included), cutout and random crop/flip on training images.
//
// Two schedules follow the reference's train.py under PyTorch 0.3.1:
// scheduler.step() runs at the start of every epoch, so epoch e trains with
// the cosine rate lr(e+1) and the last epoch with LRMin (0 by default: it
// only moves batch-norm statistics; a 1-epoch run does not learn); drop path
// is DropPath·e/E, 0 in the first epoch, and never applied to identity ops.
// The reported number is the test error of the last epoch.
//
// # Run folders and resume
//
// As in package search: config.json, metrics.jsonl (one line per epoch),
// result.json when done, and checkpoint.gob written atomically after every
// epoch and on interruption (ctx cancelled, or StopAfter steps in tests).
// Every batch, augmentation and drop-path mask is a function of (seed,
// epoch, step), so a resumed run is bit-identical to an uninterrupted one.
// A NaN or Inf loss or weight stops the run with an error wrapping
// ErrDiverged; the weights are not stepped with it.
//
// # Exhaustive studies
//
// Exhaustive trains every architecture of a space with one budget, Workers
// trainings at a time over shared read-only datasets, one run folder each,
// and appends a line per (architecture, seed) to results.jsonl. Ranking and
// RankOf order the results and place a genotype (compared as an
// architecture, by its one-hot α) among them.
package train
