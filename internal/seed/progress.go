package seed

import (
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress reports rows loaded per layer: a progress bar with counts and rate when w is a
// terminal, one log line per layer otherwise. A nil *Progress reports nothing.
type Progress struct {
	w   io.Writer
	tty bool
	log *slog.Logger
}

// NewProgress reports to w (a bar when w is a terminal) and to log (plain lines otherwise).
func NewProgress(w io.Writer, log *slog.Logger) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return &Progress{w: w, tty: tty, log: log}
}

type layerProgress struct {
	p     *Progress
	name  string
	bar   *progressbar.ProgressBar
	start time.Time
	n     int64
}

func (p *Progress) layer(name string, total int) *layerProgress {
	lp := &layerProgress{p: p, name: name, start: time.Now()}
	if p != nil && p.tty && total > 0 {
		lp.bar = progressbar.NewOptions64(int64(total),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(padRight(name, 18)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(p.w, "\n") }),
		)
	}
	return lp
}

func (lp *layerProgress) add(n int) {
	lp.n += int64(n)
	if lp.bar != nil {
		_ = lp.bar.Add(n)
	}
}

func (lp *layerProgress) done() {
	if lp.p == nil {
		return
	}
	if lp.bar != nil {
		_ = lp.bar.Finish()
		return
	}
	if lp.p.log != nil {
		el := time.Since(lp.start)
		lp.p.log.Info("loaded", "layer", lp.name, "rows", lp.n, "seconds", el.Round(time.Millisecond).Seconds(),
			"rows_per_s", int(float64(lp.n)/max(el.Seconds(), 1e-6)))
	}
}

func padRight(s string, n int) string {
	for len(s) < n {
		s += " "
	}
	return s
}
