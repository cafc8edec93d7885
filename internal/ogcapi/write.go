package ogcapi

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// WriteOp is an OGC API – Features Part 4 operation.
type WriteOp int

// The Part 4 operations.
const (
	Create  WriteOp = iota // POST /items
	Replace                // PUT /items/{featureId}
	Update                 // PATCH /items/{featureId}, a JSON merge patch
	Delete                 // DELETE /items/{featureId}
)

// Write is one Part 4 request as the handler hands it to a Writer.
type Write struct {
	Op WriteOp
	// ID is the featureId of replace, update and delete.
	ID string
	// Body is the GeoJSON Feature (create, replace) or the merge patch (update).
	Body io.Reader
	// CRS is what Content-Crs named, nil when the request named none (OGC:CRS84); LatLon
	// says the coordinates are latitude first, as Part 2 defines EPSG:4326 and EPSG:4490.
	CRS    *crs.CRS
	LatLon bool
	// IfMatch is the request's If-Match header, "" when absent: a write without one is
	// unconditional (docs/ogcapi.md), one with a stale tag is refused.
	IfMatch string
	// Actor is the token's name, recorded in the feature's history.
	Actor string
}

// Writer is a collection whose features can be created, replaced, updated and deleted.
// Collections that do not implement it, the indicators computed from other layers, are
// read-only: writes answer 405 and OPTIONS offers only GET and HEAD.
type Writer interface {
	// Write performs w and returns the feature as stored, in OGC:CRS84, with its ETag (the
	// zero Feature after a delete). Errors are ErrNotFound, *InvalidError, or the
	// featureapi errors that featureapi.Problem maps (422 with the constraint's name, 412
	// on a stale If-Match, 409 on a unique constraint).
	Write(ctx context.Context, w Write) (Feature, error)
}

// writable is the routes' Offered: whether the addressed collection takes writes.
func (a *API) writable(c *gin.Context) bool {
	_, ok := a.Catalog.Lookup(c.Param("collectionId")).(Writer)
	return ok
}

// featureTypes and patchTypes are the media types of Part 4 bodies; a merge patch may come as either JSON type.
var (
	featureTypes = []string{GeoJSONType, JSONType}
	patchTypes   = []string{"application/merge-patch+json", JSONType}
)

// parseContentCRS reads the Content-Crs header of a write (Part 4 /req/features/crs-other-crs,
// written as Part 2 writes it: a URI in angle brackets; QGIS sends it without them). An
// absent header is nil: the body is in OGC:CRS84. A CRS the collections do not list is an
// *InvalidError naming the header.
func parseContentCRS(h string, list CRSList) (*crs.CRS, bool, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil, false, nil
	}
	if strings.HasPrefix(h, "<") && strings.HasSuffix(h, ">") {
		h = strings.TrimSpace(h[1 : len(h)-1])
	}
	c, err := list.parse("Content-Crs", h)
	if err != nil {
		return nil, false, err
	}
	return &c, c.AxisOrderLatLon(), nil
}

// write serves the four Part 4 operations of a collection: it refuses read-only
// collections with 405, checks the media type, reads Content-Crs, and hands the request
// to the collection's Writer. ok is false when the answer has been sent.
func (a *API) write(c *gin.Context, op WriteOp) (Feature, bool) {
	col := collectionOf(c)
	wr, isWriter := col.(Writer)
	if !isWriter {
		c.Header("Allow", httpapi.Allow([]string{http.MethodGet, http.MethodHead}))
		problem.Write(c, http.StatusMethodNotAllowed, "collection "+col.Description().ID+
			" is computed from other layers (an indicator) and is read-only; edit the layers it is computed from", nil)
		return Feature{}, false
	}
	if op != Delete {
		types := featureTypes
		if op == Update {
			types = patchTypes
		}
		mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if !slices.Contains(types, mt) {
			problem.Write(c, http.StatusUnsupportedMediaType, "send the body as "+strings.Join(types, " or "), nil)
			return Feature{}, false
		}
	}
	in, latLon, err := parseContentCRS(c.GetHeader("Content-Crs"), a.CRS)
	if err != nil {
		a.fail(c, err)
		return Feature{}, false
	}
	w := Write{Op: op, ID: c.Param("featureId"), Body: c.Request.Body, CRS: in, LatLon: latLon,
		IfMatch: c.GetHeader("If-Match"), Actor: auth.FromContext(c).Name}
	if op == Delete {
		w.Body = nil
	}
	f, err := wr.Write(c.Request.Context(), w)
	if err != nil {
		a.fail(c, err)
		return Feature{}, false
	}
	return f, true
}

// sendWritten answers a create, replace or update with the feature as stored, in
// OGC:CRS84, and its ETag.
func (a *API) sendWritten(c *gin.Context, status int, f Feature) {
	var buf bytes.Buffer
	writeFeature(&buf, f, nil)
	if f.ETag != "" {
		c.Header("ETag", f.ETag)
	}
	c.Header("Content-Crs", "<"+a.CRS[0].URI()+">")
	c.Data(status, GeoJSONType, buf.Bytes())
}

// createItem serves POST /ogc/collections/{collectionId}/items (Part 4 create): 201 with
// the new feature's URL in Location.
func (a *API) createItem(c *gin.Context) {
	f, ok := a.write(c, Create)
	if !ok {
		return
	}
	c.Header("Location", baseURL(c)+"/collections/"+collectionOf(c).Description().ID+"/items/"+url.PathEscape(string(f.ID)))
	a.sendWritten(c, http.StatusCreated, f)
}

// replaceItem serves PUT /ogc/collections/{collectionId}/items/{featureId} (Part 4 replace).
func (a *API) replaceItem(c *gin.Context) {
	if f, ok := a.write(c, Replace); ok {
		a.sendWritten(c, http.StatusOK, f)
	}
}

// updateItem serves PATCH /ogc/collections/{collectionId}/items/{featureId} (Part 4
// update, a JSON merge patch).
func (a *API) updateItem(c *gin.Context) {
	if f, ok := a.write(c, Update); ok {
		a.sendWritten(c, http.StatusOK, f)
	}
}

// deleteItem serves DELETE /ogc/collections/{collectionId}/items/{featureId}: 204.
func (a *API) deleteItem(c *gin.Context) {
	if _, ok := a.write(c, Delete); ok {
		c.Status(http.StatusNoContent)
	}
}
