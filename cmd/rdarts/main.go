// Command rdarts is RobustDARTS in Go: differentiable architecture search,
// its Hessian eigenvalue analysis and the remedies built on it.
package main

import "os"

func main() { os.Exit(run(os.Args[1:])) }
