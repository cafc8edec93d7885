package geojson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeFeatureCollection reads a GeoJSON FeatureCollection from r, which
// must hold nothing else, and returns its features in order (an empty,
// non-nil slice for "features": []). It stops at the first problem and
// returns it as an *Error whose Index is the offending feature's position
// (-1 for problems outside the features) and whose Pointer starts at the
// document root, for example "/features/3/geometry/coordinates/0/5". The
// rules are those of StreamFeatureCollection.
func DecodeFeatureCollection(r io.Reader, opts Options) ([]Feature, error) {
	out := []Feature{}
	err := StreamFeatureCollection(r, opts, func(_ int, f *Feature) error {
		out = append(out, *f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StreamFeatureCollection reads a GeoJSON FeatureCollection from r and calls
// fn with each feature as soon as it is decoded, so that an import of a large
// file holds one feature in memory at a time (set Options.MaxBytes to -1 or
// to the file limit). index counts from 0; fn may keep f. If fn returns an
// error, reading stops and that error is returned unchanged; problems with
// the input are returned as *Error as for DecodeFeatureCollection.
//
// Because it streams, members are checked in document order: fn has already
// seen the features before the collection's "type" if that comes after
// "features" (the call still fails at the end if the type is wrong), and a
// legacy "crs" member after the first feature is an error rather than
// silently reinterpreting features already delivered. Every common writer
// (ogr2ogr, QGIS, PostGIS-based exporters) puts "type" and "crs" first.
func StreamFeatureCollection(r io.Reader, opts Options, fn func(index int, f *Feature) error) error {
	rd := newReader(r, opts)
	tok, err := rd.first()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errorAt(nil, "a FeatureCollection must be a JSON object")
	}
	c := collectionReader{rd: rd, opts: opts, fn: fn, frame: defaultFrame()}
	if err := c.members(); err != nil {
		return err
	}
	return rd.end()
}

// collectionReader holds the state of one streamed FeatureCollection.
type collectionReader struct {
	rd       *reader
	opts     Options
	fn       func(int, *Feature) error
	frame    frame
	seen     map[string]struct{}
	emitted  int
	typeSeen bool
}

// members reads the members of the top-level object after its '{'.
func (c *collectionReader) members() error {
	if err := c.rd.enter(nil); err != nil {
		return err
	}
	defer c.rd.leave()
	c.seen = map[string]struct{}{}
	for {
		tok, err := c.rd.token(nil)
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			break
		}
		key, _ := tok.(string)
		at := (*path)(nil).key(key)
		if err := c.rd.text(at); err != nil {
			return err
		}
		if _, dup := c.seen[key]; dup {
			return errorAt(at, fmt.Sprintf("duplicate key %q", key))
		}
		c.seen[key] = struct{}{}
		if err := c.member(key, at); err != nil {
			return err
		}
	}
	if !c.typeSeen {
		return errorAt(nil, `missing member "type"`)
	}
	if _, ok := c.seen["features"]; !ok {
		return errorAt(nil, `missing member "features"`)
	}
	return nil
}

// member reads the value of the top-level member key.
func (c *collectionReader) member(key string, at *path) error {
	if key == "features" {
		return c.features(at)
	}
	v, err := c.rd.next(at)
	if err != nil {
		return err
	}
	// Checks on a one-member object reuse the helpers of other types.
	single := &object{members: []member{{key, v}}}
	switch key {
	case "type":
		c.typeSeen = true
		t, err := typeName(single, nil)
		if err != nil {
			return err
		}
		if t != "FeatureCollection" {
			return errorAt(at, fmt.Sprintf("expected a FeatureCollection, got %q", t))
		}
	case "crs":
		if c.emitted > 0 {
			return errorAt(at, `the legacy "crs" member must come before "features"`)
		}
		fr, err := legacyCRS(single, nil, defaultFrame())
		if err != nil {
			return err
		}
		c.frame = fr
	case "bbox":
		if err := checkBBox(single, nil); err != nil {
			return err
		}
	default:
		if err := rejectMembers(single, nil, "a FeatureCollection", "coordinates", "geometries", "geometry", "properties"); err != nil {
			return err
		}
	}
	return nil
}

// features reads the "features" array, decoding and delivering each element.
func (c *collectionReader) features(at *path) error {
	tok, err := c.rd.token(at)
	if err != nil {
		return err
	}
	if tok != json.Delim('[') {
		// Judged by its first token, so that nothing inside a wrong value is
		// read and reported under a pointer that looks like a feature's.
		got := kindOf(tok)
		if tok == json.Delim('{') {
			got = kindOf(&object{})
		}
		return errorAt(at, fmt.Sprintf(`member "features" must be an array, got %s`, got))
	}
	if err := c.rd.enter(at); err != nil {
		return err
	}
	defer c.rd.leave()
	for i := 0; ; i++ {
		fat := at.at(i)
		tok, err := c.rd.token(fat)
		if err != nil {
			return withIndex(err, i)
		}
		if tok == json.Delim(']') {
			return nil
		}
		v, err := c.rd.value(tok, fat)
		if err != nil {
			return withIndex(err, i)
		}
		f, ferr := decodeFeature(v, fat, c.opts, c.frame)
		if ferr != nil {
			return withIndex(ferr, i)
		}
		c.emitted++
		if err := c.fn(i, f); err != nil {
			return err
		}
	}
}

// withIndex marks an *Error as belonging to feature i.
func withIndex(err error, i int) error {
	if e := (*Error)(nil); errors.As(err, &e) && e.Pointer != "" {
		e.Index = i
	}
	return err
}
