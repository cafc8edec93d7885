package coverage

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time the calling OS thread has used (false: not available).
func threadCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

// yieldNice is the nice value of a thread that lets the other work go first.
const yieldNice = 10

// yieldThread lowers the calling OS thread's priority (its nice value, per thread on
// Linux) so that the machine's other work goes first; the caller keeps the goroutine
// locked to the thread until it ends, so the thread is never reused. Refused (e.g. by a
// seccomp policy), it changes nothing.
func yieldThread() {
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), yieldNice)
}
