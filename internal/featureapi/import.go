package featureapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/problem"
)

// DefaultSyncImportBytes is the largest body imported within the request; larger bodies
// run as background jobs, so no client waits minutes on one response.
const DefaultSyncImportBytes = 5 << 20

// Upload media types of POST /layers/{layer}/import besides the GeoJSON ones.
const (
	ZipType        = "application/zip"
	GeoPackageType = "application/geopackage+sqlite3"
)

// Imports runs the file imports of the API (internal/importer): a small body in the
// request, a large one, or any with ?async=true, as a background job that clients poll.
type Imports struct {
	Pool *pgxpool.Pool
	Jobs *importer.Jobs
	// SyncMaxBytes is the largest body imported within the request.
	SyncMaxBytes int64
	// TempDir holds the spooled Shapefile and GeoPackage uploads ("" = os.TempDir()).
	TempDir string
}

// NewImports returns the import runner of one process; Close it on shutdown.
func NewImports(pool *pgxpool.Pool) *Imports {
	return &Imports{Pool: pool, Jobs: importer.NewJobs(pool), SyncMaxBytes: DefaultSyncImportBytes}
}

// Close cancels the running background imports (their transactions roll back) and waits
// for them.
func (a *API) Close() {
	if a.Imports != nil {
		a.Imports.Jobs.Close()
	}
}

// uploadFormat is what a Content-Type says the body is: the file extension importer.Open
// dispatches on.
func uploadFormat(ct string) (ext string, ok bool) {
	switch ct {
	case GeoJSONType, "application/json":
		return ".geojson", true
	case ZipType, "application/x-zip-compressed":
		return ".zip", true
	case GeoPackageType:
		return ".gpkg", true
	}
	return "", false
}

// formatNames names the upload formats in messages.
var formatNames = map[string]string{".geojson": "GeoJSON", ".zip": "a zipped Shapefile", ".gpkg": "a GeoPackage"}

// importRequest is a parsed POST /layers/{layer}/import.
type importRequest struct {
	opts  importer.Options
	open  importer.OpenOptions
	async bool
}

// importParams lists the query parameters of the import; any other is refused, so that a
// misspelt dry_run never writes.
var importParams = map[string]bool{"city": true, "map": true, "crs": true, "dry_run": true, "skip_invalid": true,
	"upsert": true, "async": true, "encoding": true, "table": true, "source": true}

// parseImport reads the query parameters into importer options.
func (a *API) parseImport(c *gin.Context, l *layers.Layer) (importRequest, error) {
	q := c.Request.URL.Query()
	for k := range q {
		if !importParams[k] {
			return importRequest{}, badParam(k, "unknown parameter "+clipQuote(k)+"; the import takes city, map, crs, dry_run, skip_invalid, upsert, async, encoding, table, source")
		}
	}
	r := importRequest{opts: importer.Options{Actor: auth.FromContext(c).Name, Registry: a.Layers, DataSource: "import:api"}}
	city, ok, err := single(q, "city")
	if err != nil {
		return r, err
	}
	if !ok || city == "" {
		return r, badParam("city", "city is required: the slug of the city the features belong to (?city=baotou)")
	}
	r.opts.City = city
	// map may be repeated; later entries win, as with the CLI's --map.
	for _, s := range q["map"] {
		m, err := importer.ParseMapping(s)
		if err != nil {
			return r, badParam("map", err.Error()+" (map=attribute=FIELD,attribute==CONSTANT)")
		}
		if r.opts.Mapping == nil {
			r.opts.Mapping = importer.Mapping{}
		}
		for k, v := range m {
			r.opts.Mapping[k] = v
		}
	}
	if _, ok, err := inputCRS(q); err != nil {
		return r, err
	} else if ok {
		r.opts.CRS = q.Get("crs")
	}
	if r.opts.Upsert, _, err = single(q, "upsert"); err != nil {
		return r, err
	}
	if r.opts.Upsert != "" && l.Attr(r.opts.Upsert) == nil {
		return r, badParam("upsert", "layer "+l.ID+" has no attribute "+clipQuote(r.opts.Upsert)+" to use as the upsert key")
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"dry_run", &r.opts.DryRun}, {"skip_invalid", &r.opts.SkipInvalid}, {"async", &r.async}} {
		if *b.dst, err = boolParam(q, b.name); err != nil {
			return r, err
		}
	}
	if r.open.Encoding, _, err = single(q, "encoding"); err != nil {
		return r, err
	}
	if r.open.Table, _, err = single(q, "table"); err != nil {
		return r, err
	}
	if s, ok, err := single(q, "source"); err != nil {
		return r, err
	} else if ok && s != "" {
		r.opts.DataSource = s
	}
	return r, nil
}

func boolParam(q url.Values, name string) (bool, error) {
	s, ok, err := single(q, name)
	if err != nil || !ok {
		return false, err
	}
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badParam(name, name+" must be true or false")
}

// importFile serves POST /layers/{layer}/import: GeoJSON, a zipped Shapefile or a
// GeoPackage, all or nothing (docs/import.md).
func (a *API) importFile(c *gin.Context) {
	l := layerOf(c)
	ext, ok := uploadFormat(c.ContentType())
	if !ok {
		problem.Write(c, http.StatusUnsupportedMediaType, "send a GeoJSON FeatureCollection as application/geo+json, a zipped Shapefile as application/zip or a GeoPackage as application/geopackage+sqlite3", nil)
		return
	}
	req, err := a.parseImport(c, l)
	if err != nil {
		a.fail(c, err)
		return
	}
	if !a.limitBody(c) {
		return
	}
	im := a.Imports
	size := c.Request.ContentLength
	// A GeoJSON body of known, small size streams straight into the importer; everything
	// else is spooled first, because Shapefile and GeoPackage readers need a file and a
	// background job outlives the request body.
	if ext == ".geojson" && !req.async && size >= 0 && size <= im.SyncMaxBytes {
		rep, err := importer.Import(c.Request.Context(), im.Pool, l.ID, importer.NewGeoJSONReader(c.Request.Body), req.opts)
		a.importResult(c, rep, err)
		return
	}
	if req.async || size < 0 || size > im.SyncMaxBytes {
		// Refuse before spooling what would become a background import.
		if err := im.Jobs.Admit(req.opts.Actor); err != nil {
			a.fail(c, err)
			return
		}
	}
	path, size, err := im.spool(c.Request.Body, ext)
	if err != nil {
		a.fail(c, err)
		return
	}
	src, closeSrc, err := importer.Open(path, req.open)
	if err != nil {
		_ = os.Remove(path)
		// The reader names the file it was given; the client knows it as the body.
		a.fail(c, problem.BadRequest("the body cannot be read as "+formatNames[ext]+": "+strings.ReplaceAll(err.Error(), path, "the body")))
		return
	}
	cleanup := func() {
		_ = closeSrc()
		_ = os.Remove(path)
	}
	if req.async || size > im.SyncMaxBytes {
		id, err := im.Jobs.Start(l.ID, src, req.opts, cleanup)
		if err != nil {
			cleanup()
			a.fail(c, err)
			return
		}
		st, _ := im.Jobs.Status(id)
		c.Header("Location", importPath(id))
		c.JSON(http.StatusAccepted, st)
		return
	}
	defer cleanup()
	rep, err := importer.Import(c.Request.Context(), im.Pool, l.ID, src, req.opts)
	a.importResult(c, rep, err)
}

// importPath is where a background import is polled.
func importPath(id string) string { return "/api/v1/imports/" + url.PathEscape(id) }

// spool copies the body to a temporary file named with ext and returns its path and size.
func (im *Imports) spool(body io.Reader, ext string) (string, int64, error) {
	f, err := os.CreateTemp(im.TempDir, "cityreach-import-*"+ext)
	if err != nil {
		return "", 0, fmt.Errorf("spooling the upload: %w", err)
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", 0, problem.New(http.StatusRequestEntityTooLarge, "the body exceeds the limit").With("limit", mbe.Limit)
		}
		return "", 0, fmt.Errorf("spooling the upload: %w", err)
	}
	return f.Name(), n, nil
}

// importResult answers a synchronous import: 201 with the report when it was written,
// 200 for a dry run, 422 with the rejected features when it was refused, 400 for a
// malformed file or options the importer refuses.
func (a *API) importResult(c *gin.Context, rep *importer.Report, err error) {
	var fe *importer.FileError
	switch {
	case err == nil && rep.Committed:
		c.JSON(http.StatusCreated, rep)
	case err == nil:
		c.JSON(http.StatusOK, rep)
	case errors.Is(err, importer.ErrRefused):
		p := problem.Unprocessable(fmt.Sprintf("%d of %d features are invalid; nothing was written (skip_invalid=true writes the valid ones)", len(rep.Rejected), rep.Read)).
			With("rejected", rep.Rejected).With("report", rep)
		a.fail(c, p)
	case errors.As(err, &fe):
		p := problem.BadRequest("the file is malformed: "+fe.Error()).With("index", fe.Index)
		if fe.ID != "" {
			p.With("id", fe.ID)
		}
		if fe.Pointer != "" {
			p.With("pointer", fe.Pointer)
		}
		a.fail(c, p)
	case rep == nil && !databaseError(err):
		// The importer checks the mapping, the CRS, the upsert key and the city before it
		// writes; those refusals are the client's to fix.
		a.fail(c, problem.BadRequest(err.Error()))
	default:
		a.fail(c, err)
	}
}

// databaseError reports whether err came from the database or the connection to it
// rather than from the importer's checks of the request, so that it is logged and
// answered 500 instead of being shown to the client.
func databaseError(err error) bool {
	var (
		pg *pgconn.PgError
		ce *pgconn.ConnectError
		ne net.Error
	)
	return errors.As(err, &pg) || errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}

// importOwner names the owner of the import of the path.
func (a *API) importOwner(c *gin.Context) (string, bool, error) {
	st, ok := a.Imports.Jobs.Status(c.Param("id"))
	return st.Owner, ok, nil
}

// noSuchImport is the answer for an import that does not exist or is not the caller's.
func noSuchImport(c *gin.Context) error {
	return problem.NotFound("no import " + clipQuote(c.Param("id")) + "; finished imports are kept for an hour")
}

// importStatus serves GET /imports/{id}: the state, features read so far and, once the
// job has ended, its report (with the rejected features of a refused import).
func (a *API) importStatus(c *gin.Context) {
	st, ok := a.Imports.Jobs.Status(c.Param("id"))
	if !ok {
		a.fail(c, noSuchImport(c))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, st)
}
