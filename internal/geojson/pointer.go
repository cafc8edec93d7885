package geojson

import (
	"strconv"
	"strings"
)

// path is one step of a JSON pointer, linked to its parent so that building
// a child costs no copying; the pointer text is made only for an error. The
// root is the nil *path.
type path struct {
	parent  *path
	name    string
	index   int
	isIndex bool
}

// key returns the path of member k of the object at p.
func (p *path) key(k string) *path { return &path{parent: p, name: k} }

// at returns the path of element i of the array at p.
func (p *path) at(i int) *path { return &path{parent: p, index: i, isIndex: true} }

// String returns the RFC 6901 pointer, escaping "~" as "~0" and "/" as "~1".
func (p *path) String() string {
	var steps []*path
	for q := p; q != nil; q = q.parent {
		steps = append(steps, q)
	}
	var b strings.Builder
	for i := len(steps) - 1; i >= 0; i-- {
		b.WriteByte('/')
		if steps[i].isIndex {
			b.WriteString(strconv.Itoa(steps[i].index))
		} else {
			writeEscaped(&b, steps[i].name)
		}
	}
	return b.String()
}

// writeEscaped writes a member name as a pointer step.
func writeEscaped(b *strings.Builder, key string) {
	for i := 0; i < len(key); i++ {
		switch key[i] {
		case '~':
			b.WriteString("~0")
		case '/':
			b.WriteString("~1")
		default:
			b.WriteByte(key[i])
		}
	}
}
