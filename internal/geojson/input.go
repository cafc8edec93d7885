package geojson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// errTooLarge is returned by limitedReader once the input passes its limit;
// it never leaves the package. It is a type, not a variable, so that the
// package holds no mutable state.
type errTooLarge struct{}

func (errTooLarge) Error() string { return "input too large" }

// limitedReader passes through at most n bytes and then fails with
// errTooLarge, unless the source ends exactly there. n < 0 means no limit.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		// Probe one byte so that input of exactly the limit is accepted.
		var one [1]byte
		for {
			k, err := l.r.Read(one[:])
			if k > 0 {
				return 0, errTooLarge{}
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// utf8Watch passes bytes through and remembers the offset of the first one
// that is not valid UTF-8, so that the reader can refuse the string holding
// it: encoding/json would replace it with U+FFFD without a word. A sequence
// split between two reads is completed from the next one.
type utf8Watch struct {
	r       io.Reader
	off     int64   // bytes passed through so far
	pending [4]byte // the start of a sequence the last read cut off
	npend   int
	bad     int64 // offset of the first invalid byte, -1 while none
}

func (w *utf8Watch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 && w.bad < 0 {
		w.scan(p[:n])
	}
	w.off += int64(n)
	return n, err
}

// scan checks chunk, which starts at offset w.off.
func (w *utf8Watch) scan(chunk []byte) {
	i := 0
	if w.npend > 0 {
		start := w.off - int64(w.npend)
		for w.npend < len(w.pending) && i < len(chunk) && !utf8.FullRune(w.pending[:w.npend]) {
			w.pending[w.npend] = chunk[i]
			w.npend++
			i++
		}
		if !utf8.FullRune(w.pending[:w.npend]) {
			return // still cut off: the next read completes it
		}
		r, size := utf8.DecodeRune(w.pending[:w.npend])
		if r == utf8.RuneError && size == 1 {
			w.bad = start
			return
		}
		i -= w.npend - size // bytes taken beyond the rune are scanned again below
		w.npend = 0
	}
	if utf8.Valid(chunk[i:]) {
		return
	}
	for i < len(chunk) {
		if chunk[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(chunk[i:]) {
			w.npend = copy(w.pending[:], chunk[i:])
			return
		}
		r, size := utf8.DecodeRune(chunk[i:])
		if r == utf8.RuneError && size == 1 {
			w.bad = w.off + int64(i)
			return
		}
		i += size
	}
}

// reader reads JSON tokens with the limits of Options and turns every
// failure into an *Error at the path being read.
type reader struct {
	dec      *json.Decoder
	watch    *utf8Watch
	maxBytes int64
	maxDepth int
	depth    int // nesting level of the container being read; 0 outside
}

func newReader(r io.Reader, opts Options) *reader {
	w := &utf8Watch{r: &limitedReader{r: r, n: opts.maxBytes()}, bad: -1}
	dec := json.NewDecoder(w)
	dec.UseNumber()
	return &reader{dec: dec, watch: w, maxBytes: opts.maxBytes(), maxDepth: opts.maxDepth()}
}

// text refuses the string token just read, found at at, when it holds a byte
// that is not valid UTF-8. Outside strings such a byte is a syntax error, so
// the first string whose end lies past it is the one that holds it.
func (r *reader) text(at *path) error {
	if r.watch.bad >= 0 && r.watch.bad < r.dec.InputOffset() {
		e := errorAt(at, "text is not valid UTF-8")
		e.Encoding = true
		return e
	}
	return nil
}

// token returns the next JSON token; at marks where a failure is reported.
func (r *reader) token(at *path) (json.Token, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return nil, r.inputError(err, at)
	}
	return tok, nil
}

// inputError classifies a decoder failure. Failures of the underlying reader
// (a dropped connection, http.MaxBytesReader) are returned wrapped, not as
// *Error, because they say nothing about the GeoJSON.
func (r *reader) inputError(err error, at *path) error {
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, errTooLarge{}):
		return errorAt(nil, fmt.Sprintf("input is larger than %d bytes", r.maxBytes))
	case errors.As(err, &syntax):
		return errorAt(at, fmt.Sprintf("invalid JSON at byte %d: %v", syntax.Offset, syntax))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errorAt(at, "unexpected end of input")
	}
	return fmt.Errorf("geojson: reading input: %w", err)
}

// first returns the first token of the document, reporting empty input.
func (r *reader) first() (json.Token, error) {
	tok, err := r.dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, errorAt(nil, "input is empty")
	}
	if err != nil {
		return nil, r.inputError(err, nil)
	}
	return tok, nil
}

// end checks that nothing but white space follows the document.
func (r *reader) end() error {
	_, err := r.dec.Token()
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case errors.Is(err, errTooLarge{}):
		return r.inputError(err, nil)
	}
	var syntax *json.SyntaxError
	if err != nil && !errors.As(err, &syntax) {
		return r.inputError(err, nil)
	}
	return errorAt(nil, "trailing data after JSON value")
}

// enter increments the nesting level for a container starting at at.
func (r *reader) enter(at *path) error {
	r.depth++
	if r.depth > r.maxDepth {
		return errorAt(at, fmt.Sprintf("nesting is deeper than %d levels", r.maxDepth))
	}
	return nil
}

func (r *reader) leave() { r.depth-- }
