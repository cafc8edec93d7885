//go:build !linux

package coverage

import "time"

// threadCPU is not available here: the curve's time limit counts wall time.
func threadCPU() (time.Duration, bool) { return 0, false }

// yieldThread does nothing here.
func yieldThread() {}
