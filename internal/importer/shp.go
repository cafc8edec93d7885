package importer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Shapefile shape types (ESRI Shapefile Technical Description, 1998). The Z and M
// variants carry the same X/Y layout followed by extra ranges, which are ignored: planning
// layers are 2D.
const (
	shpNull        = 0
	shpPoint       = 1
	shpPolyLine    = 3
	shpPolygon     = 5
	shpMultiPoint  = 8
	shpPointZ      = 11
	shpPolyLineZ   = 13
	shpPolygonZ    = 15
	shpMultiPointZ = 18
	shpPointM      = 21
	shpPolyLineM   = 23
	shpPolygonM    = 25
	shpMultiPointM = 28
)

// maxShpRecordBytes bounds one record's content (64 MiB, four million points), so that a
// record header claiming gigabytes cannot make the reader allocate them.
const maxShpRecordBytes = 64 << 20

// maxShpPoints bounds the points of one record so that a corrupt count cannot make the
// parser allocate gigabytes.
const maxShpPoints = maxShpRecordBytes / 16

// shpHeaderLen is the size of the .shp main header.
const shpHeaderLen = 100

// checkShpHeader checks the file code and the file length the header declares against
// size, the bytes the part really has, and returns that declared length.
func checkShpHeader(b []byte, size int64) (int64, error) {
	if len(b) < shpHeaderLen || size < shpHeaderLen {
		return 0, errors.New("file shorter than its 100-byte header")
	}
	if binary.BigEndian.Uint32(b[0:4]) != 9994 {
		return 0, errors.New("not a shapefile (file code is not 9994)")
	}
	n := int64(binary.BigEndian.Uint32(b[24:28])) * 2
	if n < shpHeaderLen || n > size {
		return 0, fmt.Errorf("header declares %d bytes, the file has %d", n, size)
	}
	return n, nil
}

// readShpRecordHeader reads a record header and returns the record number and the
// content length, checked against the bytes that remain and maxShpRecordBytes before
// the caller allocates for it.
func readShpRecordHeader(r io.Reader, remain int64) (num int, n int64, err error) {
	var h [8]byte
	if remain < 8 {
		return 0, 0, errors.New("truncated record header")
	}
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	num = int(int32(binary.BigEndian.Uint32(h[0:4])))
	n = int64(int32(binary.BigEndian.Uint32(h[4:8]))) * 2
	switch {
	case n < 0 || n > remain-8:
		return 0, 0, fmt.Errorf("record %d claims %d bytes, %d remain", num, n, remain-8)
	case n > maxShpRecordBytes:
		return 0, 0, fmt.Errorf("record %d claims %d bytes, more than the %d a record may have", num, n, maxShpRecordBytes)
	}
	return num, n, nil
}

// parseShpRecord decodes one record's content into an orb geometry (nil for a null
// shape). Polygon rings are grouped by orientation: clockwise rings are outer rings,
// counter-clockwise rings are holes of the outer ring that contains them.
func parseShpRecord(c []byte) (orb.Geometry, error) {
	if len(c) < 4 {
		return nil, errors.New("record shorter than its shape type")
	}
	t := int(int32(binary.LittleEndian.Uint32(c[0:4])))
	body := c[4:]
	switch t {
	case shpNull:
		return nil, nil
	case shpPoint, shpPointZ, shpPointM:
		if len(body) < 16 {
			return nil, errors.New("point record truncated")
		}
		return orb.Point{f64(body[0:]), f64(body[8:])}, nil
	case shpMultiPoint, shpMultiPointZ, shpMultiPointM:
		if len(body) < 36 {
			return nil, errors.New("multipoint record truncated")
		}
		n := int64(int32(binary.LittleEndian.Uint32(body[32:36])))
		if n < 0 || n > maxShpPoints || 36+n*16 > int64(len(body)) {
			return nil, fmt.Errorf("multipoint record claims %d points", n)
		}
		mp := make(orb.MultiPoint, n)
		for i := range mp {
			o := 36 + i*16
			mp[i] = orb.Point{f64(body[o:]), f64(body[o+8:])}
		}
		return mp, nil
	case shpPolyLine, shpPolyLineZ, shpPolyLineM, shpPolygon, shpPolygonZ, shpPolygonM:
		parts, err := shpParts(body)
		if err != nil {
			return nil, err
		}
		switch t {
		case shpPolyLine, shpPolyLineZ, shpPolyLineM:
			if len(parts) == 1 {
				return orb.LineString(parts[0]), nil
			}
			ml := make(orb.MultiLineString, len(parts))
			for i, p := range parts {
				ml[i] = orb.LineString(p)
			}
			return ml, nil
		}
		return assemblePolygons(parts)
	}
	return nil, fmt.Errorf("unsupported shape type %d", t)
}

// shpParts reads the parts of a PolyLine or Polygon record body (after the shape type).
func shpParts(body []byte) ([][]orb.Point, error) {
	if len(body) < 40 {
		return nil, errors.New("poly record truncated")
	}
	np := int64(int32(binary.LittleEndian.Uint32(body[32:36])))
	npt := int64(int32(binary.LittleEndian.Uint32(body[36:40])))
	if np <= 0 || npt <= 0 || np > npt || npt > maxShpPoints {
		return nil, fmt.Errorf("poly record claims %d parts and %d points", np, npt)
	}
	ptOff := 40 + np*4
	if ptOff+npt*16 > int64(len(body)) {
		return nil, fmt.Errorf("poly record claims %d points but holds %d bytes", npt, len(body))
	}
	starts := make([]int64, np+1)
	for i := int64(0); i < np; i++ {
		starts[i] = int64(int32(binary.LittleEndian.Uint32(body[40+i*4:])))
	}
	starts[np] = npt
	parts := make([][]orb.Point, np)
	for i := int64(0); i < np; i++ {
		a, b := starts[i], starts[i+1]
		if a < 0 || b > npt || a >= b {
			return nil, fmt.Errorf("poly record part %d has bad bounds %d..%d", i, a, b)
		}
		pts := make([]orb.Point, b-a)
		for j := range pts {
			o := ptOff + (a+int64(j))*16
			pts[j] = orb.Point{f64(body[o:]), f64(body[o+8:])}
		}
		parts[i] = pts
	}
	return parts, nil
}

// assemblePolygons groups rings into polygons: in a shapefile outer rings run clockwise
// and holes counter-clockwise. Each hole goes to the smallest outer ring containing its
// first vertex; a hole inside no outer ring is kept as an outer ring (as GDAL does), so
// PostGIS can judge it rather than the reader dropping it.
func assemblePolygons(parts [][]orb.Point) (orb.Geometry, error) {
	var outers []orb.Polygon
	var holes []orb.Ring
	for _, p := range parts {
		r := orb.Ring(p)
		if len(r) < 4 {
			return nil, fmt.Errorf("polygon ring has %d points; at least 4 are needed", len(r))
		}
		if r.Orientation() == orb.CW {
			outers = append(outers, orb.Polygon{r})
		} else {
			holes = append(holes, r)
		}
	}
	for _, h := range holes {
		best, bestArea := -1, math.Inf(1)
		for i, o := range outers {
			if planar.RingContains(o[0], h[0]) {
				if a := math.Abs(planar.Area(o[0])); a < bestArea {
					best, bestArea = i, a
				}
			}
		}
		if best < 0 {
			outers = append(outers, orb.Polygon{h})
			continue
		}
		outers[best] = append(outers[best], h)
	}
	if len(outers) == 1 {
		return outers[0], nil
	}
	return orb.MultiPolygon(outers), nil
}

func f64(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
