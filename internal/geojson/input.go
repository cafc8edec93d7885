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

// reader reads JSON tokens with the limits of Options and turns every
// failure into an *Error at the path being read.
type reader struct {
	dec      *json.Decoder
	maxBytes int64
	maxDepth int
	depth    int // nesting level of the container being read; 0 outside
}

// invalidUTF8 is returned by utf8Reader at the first byte that is not UTF-8.
type invalidUTF8 struct{ offset int64 }

func (e invalidUTF8) Error() string {
	return fmt.Sprintf("text is not valid UTF-8 (byte %d of the input)", e.offset)
}

// utf8Reader passes on the input up to its first byte that is not valid UTF-8 and then
// fails with invalidUTF8, so that the JSON decoder fails in the token that holds it
// (encoding/json would replace it with U+FFFD without a word).
type utf8Reader struct {
	r     io.Reader
	raw   [4096 + utf8.UTFMax]byte
	ready []byte // validated bytes not yet passed on (a slice of raw)
	keep  int    // bytes of an incomplete sequence waiting at raw[len(ready)...]
	held  [utf8.UTFMax]byte
	off   int64 // input offset of the next byte to validate
	err   error // returned once ready is drained
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	for len(u.ready) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.ready)
	u.ready = u.ready[n:]
	return n, nil
}

// fill reads more input after the held incomplete sequence and validates it.
func (u *utf8Reader) fill() {
	k := copy(u.raw[:], u.held[:u.keep])
	n, err := u.r.Read(u.raw[k:])
	data := u.raw[:k+n]
	i := 0
	for i < len(data) {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			if err == nil && !utf8.FullRune(data[i:]) {
				break // the sequence continues in the next read
			}
			u.err = invalidUTF8{offset: u.off + int64(i)}
			break
		}
		i += size
	}
	u.ready = data[:i]
	u.off += int64(i)
	u.keep = 0
	if u.err == nil {
		u.keep = copy(u.held[:], data[i:])
		if err != nil {
			u.err = err
		}
	}
}

func newReader(r io.Reader, opts Options) *reader {
	dec := json.NewDecoder(&limitedReader{r: &utf8Reader{r: r}, n: opts.maxBytes()})
	dec.UseNumber()
	return &reader{dec: dec, maxBytes: opts.maxBytes(), maxDepth: opts.maxDepth()}
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
	var bad invalidUTF8
	switch {
	case errors.As(err, &bad):
		e := errorAt(at, bad.Error())
		e.InvalidText = true
		return e
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
