// Package space holds the search spaces of RobustDARTS as plain data, the
// genotypes derived from them, and the discrete operations on both: deriving a
// genotype from α, printing and parsing the DARTS notation, mapping a genotype
// back to one-hot α, random sampling for RS-ws, and enumeration.
//
// No network code lives here; the supernet package builds cells from these
// values.
//
// # Cells, edges and α
//
// A cell has two inputs (source 0 = c_{k-2}, source 1 = c_{k-1}) and Steps
// intermediate nodes; intermediate node j is source j+2. Space.Edges lists the
// cell's edges in α-row order, sorted by target node and then by source. For
// the full DAG (DAGEdges) node i receives one edge from each of the i+2 earlier
// states, so 4 steps give 14 edges: node 0 = edges 0,1; node 1 = 2,3,4;
// node 2 = 5..8; node 3 = 9..13. Row e of an α matrix belongs to Edges[e];
// column k is the k-th op of that edge's op list. Every edge of one cell kind
// has the same number of ops (Validate enforces it), so α is rectangular.
//
// # The spaces
//
//   - darts: the original 8-op DARTS space (RobustDARTS' code calls it "s5").
//   - s1: the edge-specific op pairs of RobustDARTS, different for normal and
//     reduction cells.
//   - s2: [skip_connect, sep_conv_3x3]; s3: [none, skip_connect, sep_conv_3x3];
//     s4: [noise, sep_conv_3x3].
//   - s5: rdarts' own tiny space with a known global optimum, standing in for
//     the 81-architecture space of the paper's slides, which exists in no
//     released code. Two intermediate nodes with a fixed topology
//     (node 0 ← c_{k-2}, c_{k-1}; node 1 ← c_{k-1}, node 0), each edge choosing
//     one of {sep_conv_3x3, skip_connect, max_pool_3x3}, and one α shared by
//     normal and reduction cells (Shared): 3^4 = 81 architectures.
//
// # Derivation
//
// Derive follows DARTS/RobustDARTS genotype(): per node, an edge's score is its
// largest softmax weight over ops other than none; the two best edges are kept
// (ties keep the lower source) and each contributes its best non-none op,
// strongest edge first. RobustDARTS looks up the position of none with the
// node-local edge index instead of the global one; that is harmless for its
// spaces (identical lists on every edge, or no none at all), and here the
// global edge index is used, which is what the code meant.
//
// # Data rules
//
// Get returns a fresh copy on every call. No function modifies its inputs, and
// results never share memory with them. Shape misuse by the caller (an α that
// does not match the space, an invalid space handed to Derive) panics with a
// "space:" message; anything that comes from users or files (space names,
// genotype strings, hand-made spaces, genotypes checked against a space)
// returns an error.
package space
