package synth

import "math/rand/v2"

// mix is splitmix64's finaliser: a well-spread 64-bit hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash combines a stream tag and coordinates into one key.
func hash(seed uint64, tag uint64, a, b int) uint64 {
	return mix(mix(mix(seed^tag)^uint64(int64(a))) ^ uint64(int64(b)))
}

// unit is a uniform value in [0, 1) fixed by (seed, tag, a, b): the same lattice element
// always gets the same value, whatever else was generated before it.
func unit(seed uint64, tag uint64, a, b int) float64 {
	return float64(hash(seed, tag, a, b)>>11) / (1 << 53)
}

// stream returns an independent PCG stream for one purpose.
func stream(seed uint64, tag uint64, a, b int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, hash(seed, tag, a, b))) //nolint:gosec // G404: the demo city is generated from a seed, reproducibly
}

// Stream tags: one per purpose, so adding a use never shifts another's numbers.
const (
	tagLinesX uint64 = iota + 1
	tagLinesY
	tagSubX
	tagSubY
	tagJitter
	tagWarp
	tagDrop
	tagNames
	tagParks
	tagParcels
	tagFacilities
	tagControl
	tagPop
	tagLineName
	tagSteps
)

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
