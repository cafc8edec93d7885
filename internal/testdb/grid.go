package testdb

import "math/rand/v2"

// GridLinks walks the links of a random rows×cols street grid, the fixture the network and
// walk tests build their synthetic cities on: for each cell (r, c) in row order, the link to
// the right neighbour and the one below are each kept with probability 0.95, and with
// probability 0.10 one of the cell's two diagonals is added (either with even odds). link is
// called with the grid coordinates of both ends of each kept link, in that order, between
// the draws from rng, so a link function that draws from the same rng sees the same stream
// on every run of a seed.
func GridLinks(rows, cols int, rng *rand.Rand, link func(r0, c0, r1, c1 int)) {
	for r := range rows {
		for c := range cols {
			if c+1 < cols && rng.Float64() >= 0.05 {
				link(r, c, r, c+1)
			}
			if r+1 < rows && rng.Float64() >= 0.05 {
				link(r, c, r+1, c)
			}
			if r+1 < rows && c+1 < cols && rng.Float64() < 0.10 {
				if rng.IntN(2) == 0 {
					link(r, c, r+1, c+1)
				} else {
					link(r, c+1, r+1, c)
				}
			}
		}
	}
}
