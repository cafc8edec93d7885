// Package cql2 parses the CQL2-text filter language of OGC API – Features Part 3 and
// translates it into a PostgreSQL WHERE clause. The translation never splices a value into
// SQL: every literal becomes a $n bind parameter, and every property name must be found by
// the caller's Resolver (the layer registry's allow-list) before it is quoted.
//
// Supported: comparisons (=, <>, <, <=, >, >=), [NOT] LIKE, [NOT] IN, [NOT] BETWEEN,
// IS [NOT] NULL, AND/OR/NOT with parentheses, string/number/boolean literals,
// DATE('…') and TIMESTAMP('…'), and the spatial predicates S_INTERSECTS, S_WITHIN,
// S_CONTAINS, S_DISJOINT and S_DWITHIN (distance in metres) with WKT or BBOX(…) geometries.
package cql2

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuotedIdent
	tString
	tNumber
	tOp // = <> < <= > >=
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// SyntaxError says where the filter stopped making sense.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("filter: %s at position %d", e.Msg, e.Pos) }

const maxTokens = 10000

func lex(s string) ([]token, error) {
	if !utf8.ValidString(s) {
		return nil, &SyntaxError{0, "filter is not valid UTF-8"}
	}
	var out []token
	i := 0
	for i < len(s) {
		if len(out) > maxTokens {
			return nil, &SyntaxError{i, "filter is too long"}
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += w
		case r == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case r == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case r == ',':
			out = append(out, token{tComma, ",", i})
			i++
		case r == '=':
			out = append(out, token{tOp, "=", i})
			i++
		case r == '<' || r == '>':
			op := string(r)
			if i+1 < len(s) && (s[i+1] == '=' || (r == '<' && s[i+1] == '>')) {
				op += string(s[i+1])
			}
			out = append(out, token{tOp, op, i})
			i += len(op)
		case r == '\'':
			// SQL-style string: '' is an escaped quote.
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed {
				return nil, &SyntaxError{i, "unterminated string"}
			}
			out = append(out, token{tString, b.String(), i})
			i = j
		case r == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, &SyntaxError{i, "unterminated quoted property name"}
			}
			out = append(out, token{tQuotedIdent, s[i+1 : i+1+j], i})
			i += j + 2
		case r == '-' || r == '+' || r == '.' || (r >= '0' && r <= '9'):
			j := i
			if s[j] == '-' || s[j] == '+' {
				j++
			}
			start := j
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				((s[j] == '-' || s[j] == '+') && j > start && (s[j-1] == 'e' || s[j-1] == 'E'))) {
				j++
			}
			if j == start {
				return nil, &SyntaxError{i, fmt.Sprintf("unexpected %q", r)}
			}
			out = append(out, token{tNumber, s[i:j], i})
			i = j
		case unicode.IsLetter(r) || r == '_':
			j := i
			for j < len(s) {
				r2, w2 := utf8.DecodeRuneInString(s[j:])
				if !(unicode.IsLetter(r2) || unicode.IsDigit(r2) || r2 == '_' || r2 == ':' || r2 == '.') {
					break
				}
				j += w2
			}
			out = append(out, token{tIdent, s[i:j], i})
			i = j
		default:
			return nil, &SyntaxError{i, fmt.Sprintf("unexpected character %q", r)}
		}
	}
	out = append(out, token{tEOF, "", len(s)})
	return out, nil
}
