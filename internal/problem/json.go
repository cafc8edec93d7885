package problem

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ReadJSON reads a JSON request body of at most limit bytes (limit <= 0: only the engine's
// limit applies) and checks it before any decoding, so every JSON endpoint refuses the same
// things the same way: 413 when the body is larger than a limit, 400 when it is not exactly
// one well-formed JSON value, 422 naming the member (a JSON pointer) when a string holds
// invalid UTF-8, which encoding/json would otherwise replace with U+FFFD without a word.
// An empty body (white space only) is returned as nil for the caller to accept or refuse.
func ReadJSON(r io.Reader, limit int64) ([]byte, *Error) {
	if limit > 0 {
		r = io.LimitReader(r, limit+1)
	}
	raw, err := io.ReadAll(r)
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return nil, tooLarge(mb.Limit)
	case err != nil:
		return nil, BadRequest("the request body could not be read").With("pointer", "")
	case limit > 0 && int64(len(raw)) > limit:
		return nil, tooLarge(limit)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	return raw, CheckJSON(raw)
}

func tooLarge(limit int64) *Error {
	return New(http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body exceeds the limit of %d bytes", limit)).With("limit", limit)
}

// CheckJSON is the check of ReadJSON on a body already read.
func CheckJSON(raw []byte) *Error {
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return BadRequest(fmt.Sprintf("the body is not well-formed JSON: %s at byte %d", se.Error(), se.Offset)).With("offset", se.Offset)
		}
		return BadRequest("the body is not well-formed JSON")
	}
	if ptr, ok := invalidUTF8Pointer(raw); ok {
		return Unprocessable("the string at "+strconv.Quote(ptr)+" is not valid UTF-8").With("pointer", ptr)
	}
	return nil
}

// FirstInvalidUTF8 returns the byte offset of the first byte of b that does not start a
// valid UTF-8 sequence, or -1 when b is valid UTF-8.
func FirstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// invalidUTF8Pointer returns the JSON pointer of the string (a member name or a value) of
// the well-formed document raw that holds its first invalid UTF-8 byte. Outside strings
// such a byte is a syntax error, which json.Valid has already refused.
func invalidUTF8Pointer(raw []byte) (string, bool) {
	bad := FirstInvalidUTF8(raw)
	if bad < 0 {
		return "", false
	}
	type frame struct {
		object    bool
		expectKey bool
		key       string
		index     int
	}
	var stack []*frame
	pointer := func(frames []*frame) string {
		var b strings.Builder
		for _, f := range frames {
			b.WriteByte('/')
			if f.object {
				b.WriteString(escapePointer(f.key))
			} else {
				b.WriteString(strconv.Itoa(f.index))
			}
		}
		return b.String()
	}
	advance := func() {
		if n := len(stack); n > 0 {
			if f := stack[n-1]; f.object {
				f.expectKey = true
			} else {
				f.index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", true // cannot happen for a valid document; name the whole body then
		}
		past := dec.InputOffset() > int64(bad)
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				advance()
				continue
			}
			key, _ := tok.(string)
			if past {
				return pointer(stack[:n-1]) + "/" + escapePointer(key), true
			}
			stack[n-1].key, stack[n-1].expectKey = key, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, expectKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
			advance()
		default:
			if _, isString := tok.(string); isString && past {
				return pointer(stack), true
			}
			advance()
		}
	}
}

// escapePointer escapes a member name as an RFC 6901 pointer step.
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// DecodeJSON reads a request body with ReadJSON (the same refusals) and decodes it into v,
// refusing members v does not have; a body that does not decode into v is a 400 whose detail
// is detail of the decoder's error, so each endpoint says what it expects.
func DecodeJSON(r io.Reader, limit int64, v any, detail func(error) string) *Error {
	raw, perr := ReadJSON(r, limit)
	if perr != nil {
		return perr
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest(detail(err))
	}
	return nil
}
