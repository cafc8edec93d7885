package synth

import (
	"fmt"
	"math"
	"strconv"
)

// Version is the generator version recorded in every row's data_source. Bump it when the
// output of a given seed and scale changes.
const Version = "v2"

// Params choose the city. Scale 1 is the central city (≈ 1.75 million residents, 400
// superblocks, 223 communities); Scale multiplies the counts by growing the urban area.
type Params struct {
	Scale float64
	Seed  uint64
}

// MaxScale bounds Scale; beyond it the urban area no longer fits Baotou's outline.
const MaxScale = 20

// Validate reports a Scale outside (0, MaxScale].
func (p Params) Validate() error {
	if math.IsNaN(p.Scale) || p.Scale <= 0 || p.Scale > MaxScale {
		return fmt.Errorf("scale must be > 0 and <= %d, got %v", MaxScale, p.Scale)
	}
	return nil
}

// DataSource is the data_source value of every synthetic row.
func (p Params) DataSource() string {
	return fmt.Sprintf("synthetic:cityreach-synth %s seed %d scale %s", Version, p.Seed, strconv.FormatFloat(p.Scale, 'g', -1, 64))
}
