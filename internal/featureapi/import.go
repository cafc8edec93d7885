package featureapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
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
// request, a large one, or any with ?async=true, as a background job that clients poll
// and may cancel.
type Imports struct {
	Pool *pgxpool.Pool
	Jobs *importer.Jobs
	// SyncMaxBytes is the largest body imported within the request.
	SyncMaxBytes int64
	// Spool holds the uploads while they are imported (Shapefile and GeoPackage readers
	// need a file); NewImports cleans it of what a crashed process left.
	Spool *importer.Spool
	// Limits bound each import (zip members and expansion, features, duration).
	Limits importer.Limits
}

// NewImports returns the import runner of one process, its uploads spooled in spoolDir
// ("" = importer.DefaultSpoolDir()), its bounds importer.DefaultLimits(maxBody); Close
// it on shutdown.
func NewImports(pool *pgxpool.Pool, spoolDir string, maxBody int64, log *slog.Logger) (*Imports, error) {
	if spoolDir == "" {
		spoolDir = importer.DefaultSpoolDir()
	}
	sp, err := importer.NewSpool(spoolDir)
	if err != nil {
		return nil, err
	}
	jobs := importer.NewJobs(pool)
	jobs.Log = log
	return &Imports{Pool: pool, Jobs: jobs, SyncMaxBytes: DefaultSyncImportBytes, Spool: sp, Limits: importer.DefaultLimits(maxBody)}, nil
}

// Close stops this process's worker of the background imports: the imports it runs roll
// back, and fail once their leases have passed (an import is tried once).
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
	req.opts.Limits, req.open.Limits = im.Limits, im.Limits
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
		if err := im.Jobs.Admit(c.Request.Context(), req.opts.Actor); err != nil {
			a.fail(c, err)
			return
		}
	}
	path, size, err := im.spool(c.Request.Body, ext)
	if err != nil {
		a.fail(c, err)
		return
	}
	src, closeSrc, err := importer.Open(c.Request.Context(), path, req.open)
	if err != nil {
		im.Spool.Remove(path)
		a.importResult(c, nil, err)
		return
	}
	cleanup := func() {
		_ = closeSrc()
		im.Spool.Remove(path)
	}
	if req.async || size > im.SyncMaxBytes {
		// The file opened: stored with the job, it is read again by the worker that claims
		// the import, in this process or another.
		_ = closeSrc()
		defer im.Spool.Remove(path)
		id, err := im.Jobs.Start(c.Request.Context(), l.ID, path, req.opts, req.open)
		if err != nil {
			a.fail(c, err)
			return
		}
		st, _, err := im.Jobs.Status(c.Request.Context(), id)
		if err != nil {
			a.fail(c, err)
			return
		}
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

// spool copies the body to a spool file named with ext and returns its path and size;
// the file is removed on any failure.
func (im *Imports) spool(body io.Reader, ext string) (string, int64, error) {
	f, err := im.Spool.Create(ext)
	if err != nil {
		return "", 0, fmt.Errorf("spooling the upload: %w", err)
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		im.Spool.Remove(f.Name())
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
// malformed file or options the importer refuses, 422 for a file it will not read (a
// GeoPackage view, text invalid in its encoding), 413 when a limit is reached. Driver and
// database errors are logged with the request id and answered 500 without their text.
func (a *API) importResult(c *gin.Context, rep *importer.Report, err error) {
	var (
		fe *importer.FileError
		le *importer.LimitError
		re *importer.RequestError
	)
	switch {
	case err == nil && rep.Committed:
		c.JSON(http.StatusCreated, rep)
	case err == nil:
		c.JSON(http.StatusOK, rep)
	case errors.Is(err, importer.ErrRefused):
		p := problem.Unprocessable(fmt.Sprintf("%d of %d features are invalid; nothing was written (skip_invalid=true writes the valid ones)", len(rep.Rejected), rep.Read)).
			With("rejected", rep.Rejected).With("report", rep)
		a.fail(c, p)
	case errors.As(err, &le):
		p := problem.New(http.StatusRequestEntityTooLarge, le.Error()).With("limit", le.Limit).With("bound", le.What)
		if le.Member != "" {
			p.With("member", le.Member)
		}
		a.fail(c, p)
	case errors.As(err, &fe):
		a.fail(c, a.fileProblem(c, fe))
	case errors.As(err, &re):
		a.fail(c, problem.BadRequest(re.Error()))
	default:
		a.fail(c, err)
	}
}

// fileProblem turns a file the importer cannot or will not read into a problem naming
// where it is (feature index, id, JSON pointer, zip member, GeoPackage table, attribute);
// the driver's own error, if any, goes to the log only.
func (a *API) fileProblem(c *gin.Context, fe *importer.FileError) *problem.Error {
	if fe.Cause != nil && a.Log != nil {
		a.Log.InfoContext(c.Request.Context(), "import refused a file", "request_id", c.GetString("request_id"), "reason", fe.Reason, "cause", fe.Cause)
	}
	what := strings.TrimPrefix(strings.TrimPrefix(fe.Error(), "malformed input: "), "refused input: ")
	p := problem.BadRequest("the file is malformed: " + what)
	if fe.Problem == importer.Refused {
		p = problem.Unprocessable("the file is refused: " + what)
	}
	if fe.Index >= 0 {
		p.With("index", fe.Index)
	}
	for _, m := range []struct{ k, v string }{{"id", fe.ID}, {"pointer", fe.Pointer}, {"member", fe.Member}, {"table", fe.Table}, {"attribute", fe.Attribute}} {
		if m.v != "" {
			p.With(m.k, m.v)
		}
	}
	return p
}

// importOwner names the owner of the import of the path.
func (a *API) importOwner(c *gin.Context) (string, bool, error) {
	st, ok, err := a.Imports.Jobs.Status(c.Request.Context(), c.Param("id"))
	return st.Owner, ok, err
}

// noSuchImport is the answer for an import that does not exist or is not the caller's.
func noSuchImport(c *gin.Context) error {
	return problem.NotFound("no import " + clipQuote(c.Param("id")) + "; finished imports are kept for an hour")
}

// importStatus serves GET /imports/{id}: the state, features read so far and, once the
// job has ended, its report (with the rejected features of a refused import).
func (a *API) importStatus(c *gin.Context) {
	st, ok, err := a.Imports.Jobs.Status(c.Request.Context(), c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if !ok {
		a.fail(c, noSuchImport(c))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, st)
}

// cancelImport serves DELETE /imports/{id}: a running import is cancelled, its
// transaction rolled back, and the answer (200) is its final status; a finished one is
// forgotten (204).
func (a *API) cancelImport(c *gin.Context) {
	id := c.Param("id")
	st, ok, err := a.Imports.Jobs.Status(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err)
		return
	}
	if !ok {
		problem.Write(c, http.StatusNotFound, "no import "+clipQuote(id)+"; finished imports are kept for an hour", nil)
		return
	}
	// The route's owner rule (Routes) has already let only the owner or an admin through.
	last, ok, err := a.Imports.Jobs.Cancel(c.Request.Context(), id)
	switch {
	case err != nil:
		a.fail(c, err)
	case !ok:
		problem.Write(c, http.StatusNotFound, "no import "+clipQuote(id), nil)
	case st.State != importer.JobRunning:
		c.Status(http.StatusNoContent)
	default:
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, last)
	}
}
