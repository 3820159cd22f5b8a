package report

import "strings"

// Paper is a number the RobustDARTS paper reports for a (dataset, space,
// method): the retrained test error in percent, from Zela et al.,
// "Understanding and Robustifying Differentiable Architecture Search",
// ICLR 2020 (its tables of results on S1–S4 and on the DARTS space, as
// also shown in its oral presentation).
type Paper struct {
	Dataset string  // C10, C100 or SVHN
	Space   string  // s1..s4, or darts for the original DARTS space
	Method  string  // as MethodOf names it
	Best    float64 // the main table's number; 0 if not reported
	Mean    float64 // mean over runs; 0 if not reported
	Std     float64 // with Mean
}

var paperMethods = []string{"RS-ws", "DARTS", "R-DARTS(DP)", "R-DARTS(L2)", "DARTS-ES", "DARTS-ADA"}

// paperTable is the paper's comparison of all methods on the 12 benchmarks
// (Zela et al., ICLR 2020, table of RS-ws, DARTS, R-DARTS(DP), R-DARTS(L2),
// DARTS-ES and DARTS-ADA): rows dataset/space, columns paperMethods.
var paperTable = []struct {
	dataset, space string
	err            [6]float64
}{
	{"C10", "s1", [6]float64{3.23, 3.84, 3.11, 2.78, 3.01, 3.10}},
	{"C10", "s2", [6]float64{3.66, 4.85, 3.48, 3.31, 3.26, 3.35}},
	{"C10", "s3", [6]float64{2.95, 3.34, 2.93, 2.51, 2.74, 2.59}},
	{"C10", "s4", [6]float64{8.07, 7.20, 3.58, 3.56, 3.71, 4.84}},
	{"C100", "s1", [6]float64{23.30, 29.46, 25.93, 24.25, 28.37, 24.03}},
	{"C100", "s2", [6]float64{21.21, 26.05, 22.30, 22.24, 23.25, 23.52}},
	{"C100", "s3", [6]float64{23.75, 28.90, 22.36, 23.99, 23.73, 23.37}},
	{"C100", "s4", [6]float64{28.19, 22.85, 22.18, 21.94, 21.26, 23.20}},
	{"SVHN", "s1", [6]float64{2.59, 4.58, 2.55, 4.79, 2.72, 2.53}},
	{"SVHN", "s2", [6]float64{2.72, 3.53, 2.52, 2.51, 2.60, 2.54}},
	{"SVHN", "s3", [6]float64{2.87, 3.41, 2.49, 2.48, 2.50, 2.50}},
	{"SVHN", "s4", [6]float64{3.46, 3.05, 2.61, 2.50, 2.51, 2.46}},
}

// paperMeans is the paper's DARTS vs DARTS-ES table (Zela et al., ICLR 2020;
// mean ± std over runs) and its DARTS vs R-DARTS(L2) table on the original
// DARTS space.
var paperMeans = []struct {
	dataset, space, method string
	mean, std              float64
}{
	{"C10", "s1", "DARTS", 4.66, 0.71}, {"C10", "s1", "DARTS-ES", 3.05, 0.07},
	{"C10", "s2", "DARTS", 4.42, 0.40}, {"C10", "s2", "DARTS-ES", 3.41, 0.14},
	{"C10", "s3", "DARTS", 4.12, 0.85}, {"C10", "s3", "DARTS-ES", 3.71, 1.14},
	{"C10", "s4", "DARTS", 6.95, 0.18}, {"C10", "s4", "DARTS-ES", 4.17, 0.21},
	{"C100", "s1", "DARTS", 29.93, 0.41}, {"C100", "s1", "DARTS-ES", 28.90, 0.81},
	{"C100", "s2", "DARTS", 28.75, 0.92}, {"C100", "s2", "DARTS-ES", 24.68, 1.43},
	{"C100", "s3", "DARTS", 29.01, 0.24}, {"C100", "s3", "DARTS-ES", 26.99, 1.79},
	{"C100", "s4", "DARTS", 24.77, 1.51}, {"C100", "s4", "DARTS-ES", 23.90, 2.01},
	{"SVHN", "s1", "DARTS", 9.88, 5.50}, {"SVHN", "s1", "DARTS-ES", 2.80, 0.09},
	{"SVHN", "s2", "DARTS", 3.69, 0.12}, {"SVHN", "s2", "DARTS-ES", 2.68, 0.18},
	{"SVHN", "s3", "DARTS", 4.00, 1.01}, {"SVHN", "s3", "DARTS-ES", 2.78, 0.29},
	{"SVHN", "s4", "DARTS", 2.90, 0.02}, {"SVHN", "s4", "DARTS-ES", 2.55, 0.15},
	{"C10", "darts", "DARTS", 2.91, 0.25}, {"C10", "darts", "R-DARTS(L2)", 2.95, 0.21},
	{"C100", "darts", "DARTS", 20.58, 0.44}, {"C100", "darts", "R-DARTS(L2)", 18.01, 0.26},
	{"SVHN", "darts", "DARTS", 2.46, 0.09}, {"SVHN", "darts", "R-DARTS(L2)", 2.17, 0.09},
}

// paperDataset maps rdarts dataset names to the paper's.
func paperDataset(name string) string {
	switch strings.ToLower(name) {
	case "cifar10":
		return "C10"
	case "cifar100":
		return "C100"
	case "svhn":
		return "SVHN"
	}
	return ""
}

// PaperResult returns the paper's numbers for an rdarts dataset name
// (cifar10, cifar100, svhn), space and method (as MethodOf names it); ok is
// false when the paper reports none (e.g. Fashion-MNIST).
func PaperResult(dataset, space, method string) (p Paper, ok bool) {
	p = Paper{Dataset: paperDataset(dataset), Space: strings.ToLower(space), Method: method}
	if p.Dataset == "" {
		return p, false
	}
	for _, row := range paperTable {
		if row.dataset == p.Dataset && row.space == p.Space {
			for i, m := range paperMethods {
				if m == method {
					p.Best, ok = row.err[i], true
				}
			}
		}
	}
	for _, row := range paperMeans {
		if row.dataset == p.Dataset && row.space == p.Space && row.method == method {
			p.Mean, p.Std, ok = row.mean, row.std, true
		}
	}
	return p, ok
}
