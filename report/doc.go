// Package report turns run folders into what a NAS researcher reads: an
// offline HTML page with plots (gonum/plot PNGs) and cell drawings (SVG), and
// a results table as text, CSV or JSON.
//
// Inputs are the folders rdarts search writes (config.json, metrics.jsonl,
// genotype.txt, result.json; see search.Runner) and, when present, the
// folders of retraining runs: any folder whose result.json holds a
// "test_error" (percent). A retraining folder is matched to its search run
// when it is the search folder itself or lies inside it, when its
// config.json or result.json names the search folder (a string field such
// as "genotype", "search_dir" or "source" that resolves to it), or when its
// genotype equals the final genotype of exactly one search run.
//
// Reading rules:
//   - metrics.jsonl is an append log: under DARTS-ADA it also holds the
//     epochs a rollback discarded. The last record of an epoch wins
//     (Run.Epochs); Run.Log keeps every record.
//   - A folder without config.json or metrics.jsonl, or with a line of
//     metrics.jsonl that is not a complete JSON object, is skipped with a
//     warning naming it. A run without result.json is unfinished: it is
//     plotted but left out of the results table.
//   - The one-shot validation error is result.json's valid_error (the epoch
//     DARTS-ES stopped at, or the last one).
//   - Eigenvalue smoothing and the ES rule are search.CentredAverages and
//     search.StopEpoch, the functions the search itself uses.
//   - provenance.jsonl, when present, gives each run's build (Run.Build:
//     the commit, dirty flag, backend and CPU features of its first start
//     and, if a later start differed, of its last), shown per run in the
//     HTML and JSON, per row in the CSV and text. A folder without it (an
//     older rdarts) says "unknown"; an unreadable one is a warning.
//
// Nothing here modifies a run folder; everything is written under the
// output folder.
package report
