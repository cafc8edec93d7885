package report

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
)

// OutlineEntry is one bookmark of a PDF: a heading and the page (from 1) it is on.
type OutlineEntry struct {
	Title string
	Page  int
}

// PDFOutline reads the document outline (bookmarks) of a PDF as Chromium writes it with
// --generate-pdf-document-outline: one entry per heading, pointing at the page the heading
// was laid out on. That is how the report finds the pages of its 目录 without a PDF
// library: Chromium (Skia) writes plain objects and a classic cross-reference table, so
// the catalog, the page tree and the outline items are found by object number.
//
// It understands what Skia writes (no object streams, no cross-reference streams, no
// encryption) and fails with an error on anything else.
func PDFOutline(pdf []byte) ([]OutlineEntry, error) {
	objs, root, err := pdfObjects(pdf)
	if err != nil {
		return nil, err
	}
	cat := objs[root]
	pagesRoot, ok := ref(cat, "/Pages")
	if !ok {
		return nil, errors.New("pdf: no page tree")
	}
	page := map[int]int{} // page object → page number
	var walk func(n int, depth int) error
	walk = func(n int, depth int) error {
		if depth > 32 {
			return errors.New("pdf: page tree too deep")
		}
		d := objs[n]
		if kids, ok := array(d, "/Kids"); ok {
			for _, k := range refs(kids) {
				if err := walk(k, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		page[n] = len(page) + 1
		return nil
	}
	if err := walk(pagesRoot, 0); err != nil {
		return nil, err
	}
	outlines, ok := ref(cat, "/Outlines")
	if !ok {
		return nil, nil // no headings
	}
	var out []OutlineEntry
	seen := map[int]bool{}
	var items func(first int) error
	items = func(n int) error {
		for n != 0 {
			if seen[n] {
				return errors.New("pdf: outline loops")
			}
			seen[n] = true
			d := objs[n]
			title, err := pdfString(d, "/Title")
			if err != nil {
				return err
			}
			e := OutlineEntry{Title: title}
			if dest, ok := array(d, "/Dest"); ok {
				if rs := refs(dest); len(rs) > 0 {
					e.Page = page[rs[0]]
				}
			}
			out = append(out, e)
			if c, ok := ref(d, "/First"); ok {
				if err := items(c); err != nil {
					return err
				}
			}
			n, _ = ref(d, "/Next")
		}
		return nil
	}
	first, _ := ref(objs[outlines], "/First")
	if err := items(first); err != nil {
		return nil, err
	}
	return out, nil
}

var (
	reRef    = regexp.MustCompile(`(\d+) 0 R`)
	reXref   = regexp.MustCompile(`(?s)xref\s+(.*?)trailer`)
	reRoot   = regexp.MustCompile(`/Root (\d+) 0 R`)
	reSubsec = regexp.MustCompile(`^(\d+) (\d+)$`)
)

// pdfObjects returns the dictionary text of every object (up to "stream" or "endobj")
// by number, and the catalog's number, from the last cross-reference table.
func pdfObjects(pdf []byte) (map[int]string, int, error) {
	i := bytes.LastIndex(pdf, []byte("startxref"))
	if i < 0 {
		return nil, 0, errors.New("pdf: no startxref")
	}
	m := reXref.FindSubmatch(pdf[bytes.LastIndex(pdf[:i], []byte("xref")):])
	if m == nil {
		return nil, 0, errors.New("pdf: no classic cross-reference table (only Chromium's PDFs are read)")
	}
	trailer := pdf[i-min(i, 4096) : i]
	rm := reRoot.FindSubmatch(trailer)
	if rm == nil {
		return nil, 0, errors.New("pdf: no /Root in the trailer")
	}
	root, _ := strconv.Atoi(string(rm[1]))
	objs := map[int]string{}
	lines := strings.Split(strings.ReplaceAll(string(m[1]), "\r", ""), "\n")
	num := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if s := reSubsec.FindStringSubmatch(l); s != nil {
			num, _ = strconv.Atoi(s[1])
			continue
		}
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, 0, fmt.Errorf("pdf: bad cross-reference line %q", l)
		}
		if f[2] == "n" {
			off, err := strconv.Atoi(f[0])
			if err != nil || off < 0 || off >= len(pdf) {
				return nil, 0, fmt.Errorf("pdf: bad offset %q", f[0])
			}
			body := pdf[off:]
			end := len(body)
			for _, stop := range []string{"stream", "endobj"} {
				if j := bytes.Index(body, []byte(stop)); j >= 0 && j < end {
					end = j
				}
			}
			objs[num] = string(body[:end])
		}
		num++
	}
	if _, ok := objs[root]; !ok {
		return nil, 0, errors.New("pdf: catalog not found")
	}
	return objs, root, nil
}

// ref returns the object number of a "/Key N 0 R" entry of d.
func ref(d, key string) (int, bool) {
	i := strings.Index(d, key+" ")
	if i < 0 {
		return 0, false
	}
	m := reRef.FindStringSubmatchIndex(d[i+len(key):])
	if m == nil || strings.TrimSpace(d[i+len(key):i+len(key)+m[0]]) != "" {
		return 0, false
	}
	n, _ := strconv.Atoi(d[i+len(key)+m[2] : i+len(key)+m[3]])
	return n, true
}

// array returns the text inside "/Key [ … ]" of d.
func array(d, key string) (string, bool) {
	i := strings.Index(d, key)
	if i < 0 {
		return "", false
	}
	rest := strings.TrimLeft(d[i+len(key):], " \r\n")
	if !strings.HasPrefix(rest, "[") {
		return "", false
	}
	j := strings.IndexByte(rest, ']')
	if j < 0 {
		return "", false
	}
	return rest[1:j], true
}

func refs(s string) []int {
	var out []int
	for _, m := range reRef.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// pdfString decodes the string value of key in d: a hex string (UTF-16BE with a byte-order
// mark, as Skia writes non-ASCII titles) or a literal string with backslash escapes.
func pdfString(d, key string) (string, error) {
	i := strings.Index(d, key)
	if i < 0 {
		return "", fmt.Errorf("pdf: no %s", key)
	}
	rest := strings.TrimLeft(d[i+len(key):], " \r\n")
	var raw []byte
	switch {
	case strings.HasPrefix(rest, "<"):
		j := strings.IndexByte(rest, '>')
		if j < 0 {
			return "", errors.New("pdf: unterminated hex string")
		}
		b, err := hex.DecodeString(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, rest[1:j]))
		if err != nil {
			return "", fmt.Errorf("pdf: %w", err)
		}
		raw = b
	case strings.HasPrefix(rest, "("):
		depth := 0
		for k := 0; k < len(rest); k++ {
			c := rest[k]
			switch {
			case c == '\\' && k+1 < len(rest):
				k++
				switch e := rest[k]; e {
				case 'n':
					raw = append(raw, '\n')
				case 'r':
					raw = append(raw, '\r')
				case 't':
					raw = append(raw, '\t')
				case 'b':
					raw = append(raw, '\b')
				case 'f':
					raw = append(raw, '\f')
				default:
					if e >= '0' && e <= '7' {
						v, n := 0, 0
						for n < 3 && k < len(rest) && rest[k] >= '0' && rest[k] <= '7' {
							v = v*8 + int(rest[k]-'0')
							k++
							n++
						}
						k--
						raw = append(raw, byte(v))
					} else {
						raw = append(raw, e)
					}
				}
				continue
			case c == '(':
				depth++
				if depth == 1 {
					continue
				}
			case c == ')':
				depth--
				if depth == 0 {
					k = len(rest)
					continue
				}
			}
			raw = append(raw, c)
		}
	default:
		return "", fmt.Errorf("pdf: %s is not a string", key)
	}
	if len(raw) >= 2 && raw[0] == 0xFE && raw[1] == 0xFF {
		u := make([]uint16, 0, len(raw)/2)
		for k := 2; k+1 < len(raw); k += 2 {
			u = append(u, uint16(raw[k])<<8|uint16(raw[k+1]))
		}
		return string(utf16.Decode(u)), nil
	}
	return string(raw), nil // PDFDocEncoding: ASCII is all Chromium writes this way
}
