package report

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
)

// Progress is told how far a report is (0…1) and what it is doing. It may be nil.
type Progress func(done float64, step string)

// Options tune Generate.
type Options struct {
	// Chromium is the browser that prints the PDF; "" finds Debian's.
	Chromium string
	// Now is the generation time shown in the HTML; zero means time.Now().
	Now time.Time
	// Parallel is how many sections are computed at once; 0 means 3.
	Parallel int
}

// File is one written output.
type File struct {
	Name string `json:"name"`
	Type string `json:"type"` // media type
	Size int64  `json:"size"`
}

// MediaType returns the media type of an output file name.
func MediaType(name string) string {
	switch filepath.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".pdf":
		return "application/pdf"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".geojson":
		return "application/geo+json"
	case ".gpkg":
		return "application/geopackage+sqlite3"
	}
	return "application/octet-stream"
}

// Build computes the report's content: every requested section from its domain service,
// plus the city, the data version, the data sources and the base map.
func Build(ctx context.Context, src *Sources, req Request, opt Options, progress Progress) (*Report, error) {
	if progress == nil {
		progress = func(float64, string) {}
	}
	if err := req.Normalize(src.Available()); err != nil {
		return nil, err
	}
	if slices.Contains(req.Indicators, "park-coverage") && src.Coverage != nil {
		// The park-coverage defaults resolve here, once, as the API and the CLI resolve them,
		// so every file states the caliber and method its figures are under.
		q := coverage.Query{City: req.City, Caliber: req.Caliber, Method: req.Method}
		req.CaliberFrom, req.MethodFrom = coverage.From(q.Caliber, coverage.FromCityDefault), coverage.From(q.Method, coverage.FromCaliberDefault)
		if _, err := src.Coverage.Validate(ctx, &q); err != nil {
			return nil, err
		}
		req.Caliber, req.Method = q.Caliber, q.Method
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	r := &Report{Request: req, Generated: now}
	var err error
	if r.City, err = src.Store.City(ctx, req.City); err != nil {
		return nil, err
	}
	// As of a past state: the store reads the input tables as they were then, in one
	// transaction (rolled back: it only creates temporary tables), and every section asks
	// its service with the same as_of.
	store := src.Store
	if req.AsOf != "" {
		if r.AsOf, err = src.ResolveAsOf(ctx, r.City.ID, req.AsOf); err != nil {
			return nil, err
		}
		tx, err := src.Store.Pool.Begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only work: nothing to keep
		if err := citydata.ShadowAsOf(ctx, tx, r.City.ID, r.AsOf.At, asOfTables...); err != nil {
			return nil, err
		}
		store.tx = tx
	}
	if r.Data, err = store.DataVersion(ctx, r.City.ID, slices.Contains(req.Indicators, "capacity")); err != nil {
		return nil, err
	}
	if r.Sources, err = src.Store.Sources(ctx, r.City.ID); err != nil {
		return nil, err
	}
	synthetic := map[string]bool{}
	for _, s := range r.Sources {
		synthetic[s.Layer] = synthetic[s.Layer] || s.Synthetic
	}
	progress(0.02, "data version "+r.Data.Hash)
	areas, err := store.Areas(ctx, r.City.ID, req.Level, req.Lang)
	if err != nil {
		return nil, err
	}
	// The areas of the level each community lies in (the scorecard's rows at a coarser
	// level), read here, before the sections run: an as-of store's transaction serves one
	// read at a time.
	var commAreas map[int64]int64
	if req.Level != "community" && slices.Contains(req.Indicators, "complete-communities") {
		if commAreas, err = store.CommunityAreas(ctx, r.City.ID, req.Level); err != nil {
			return nil, err
		}
	}
	// So is the base map when the store is as of a past state; the current one is read
	// while the sections compute.
	var base BaseMap
	asOf := store.tx != nil
	if asOf {
		if base, err = store.BaseMap(ctx, r.City, req.Level, req.Lang, 5); err != nil {
			return nil, err
		}
		// Nothing more is read as of then here: end the transaction now, not after the
		// sections (its connection would sit idle in a transaction meanwhile).
		if err := store.tx.Rollback(ctx); err != nil {
			return nil, err
		}
	}
	cats, err := src.Store.Categories(ctx, req.Lang)
	if err != nil {
		return nil, err
	}

	var todo []indicator
	total := 0.0
	for _, in := range src.indicators() {
		if slices.Contains(req.Indicators, in.key) {
			todo = append(todo, in)
			total += in.weight
		}
	}
	// Sections run concurrently, each on its own service; results keep the registry's order.
	par := opt.Parallel
	if par <= 0 {
		par = 3
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sections := make([]*Section, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, par)
	var mu sync.Mutex
	done := 0.0
	var wg sync.WaitGroup
	for i, in := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			b := &builder{src: src, req: req, city: r.City, lang: req.Lang, areas: areas, categories: cats, communityAreas: commAreas, at: r.AsOf}
			s, err := in.build(ctx, b)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", in.key, err)
				cancel()
				return
			}
			if s.DataVersion == "" {
				s.DataVersion = r.Data.Hash
			}
			for _, l := range in.inputs {
				s.Synthetic = s.Synthetic || synthetic[l]
			}
			s.Inputs = in.inputs
			sections[i] = s
			mu.Lock()
			done += in.weight
			progress(0.05+0.6*done/total, in.key)
			mu.Unlock()
		}()
	}
	// The base map while the sections compute.
	var baseErr error
	if !asOf {
		base, baseErr = src.Store.BaseMap(ctx, r.City, req.Level, req.Lang, 5)
	}
	wg.Wait()
	for _, err := range errs { // the cause, not the sections cancelled because of it
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if baseErr != nil {
		return nil, baseErr
	}
	r.Base = base
	r.Sections = sections
	return r, nil
}

// asOfTables are the input tables an as-of report's store reads as they were (every
// city feature table of inputTables).
var asOfTables = slices.DeleteFunc(slices.Clone(inputTables), func(t string) bool { return t == citydata.FacilityCategories })

// ResolveAsOf resolves an as_of reference (an edition name of the city, an RFC 3339 time,
// a date) to the instant read; one in the future is refused.
func (s *Sources) ResolveAsOf(ctx context.Context, cityID int, ref string) (*edition.AsOf, error) {
	at, err := edition.Store{Pool: s.Store.Pool}.At(ctx, cityID, "as_of", ref)
	if err != nil {
		return nil, err
	}
	if at.At.After(time.Now()) {
		return nil, fault.Invalid("as_of lies in the future: a report is of data that exists (omit as_of for the current data)").With("parameter", "as_of")
	}
	return &at, nil
}

// Write writes the outputs r.Request asks for into dir (which must exist) and returns them,
// sorted by name. It writes nothing outside dir.
func Write(ctx context.Context, r *Report, dir string, opt Options, progress Progress) ([]File, error) {
	if progress == nil {
		progress = func(float64, string) {}
	}
	req := r.Request
	write := func(name string, fn func(w *bufio.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<16)
		if err := fn(w); err != nil {
			f.Close() //nolint:errcheck // an error path: the error returned is the one that matters
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := w.Flush(); err != nil {
			f.Close() //nolint:errcheck // an error path: the error returned is the one that matters
			return err
		}
		return f.Close()
	}
	if req.wants("html") || req.wants("pdf") {
		if err := write("report.html", func(w *bufio.Writer) error { return WriteHTML(w, r, nil) }); err != nil {
			return nil, err
		}
		progress(0.7, "html")
	}
	if req.wants("xlsx") {
		if err := write("report.xlsx", func(w *bufio.Writer) error { return WriteXLSX(w, r) }); err != nil {
			return nil, err
		}
		progress(0.75, "xlsx")
	}
	if req.wants("csv") {
		for _, s := range r.Sections {
			for _, t := range s.Tables {
				if err := write(t.Name+".csv", func(w *bufio.Writer) error { return WriteCSV(w, t, req.Lang) }); err != nil {
					return nil, err
				}
			}
		}
		progress(0.78, "csv")
	}
	layers := exportLayers(r)
	if req.wants("geojson") {
		for _, l := range layers {
			if err := write(l.Name+".geojson", func(w *bufio.Writer) error { _, err := w.Write(l.GeoJSON); return err }); err != nil {
				return nil, err
			}
		}
		progress(0.8, "geojson")
	}
	if req.wants("gpkg") && len(layers) > 0 {
		if err := WriteGeoPackage(ctx, filepath.Join(dir, "layers.gpkg"), layers, r.Data.Updated); err != nil {
			return nil, err
		}
		progress(0.85, "gpkg")
	}
	if req.wants("pdf") {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bin, err := Chromium(opt.Chromium)
		if err != nil {
			return nil, err
		}
		// The 目录's page numbers: print, read the page of every heading from the PDF's
		// outline, print again with the numbers; the numbers take a fixed width, so the
		// second layout is the first one and one more pass is only a safeguard.
		htmlPath, pdfPath := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.pdf")
		var pages Pages
		for pass := 0; ; pass++ {
			if err := PrintPDF(ctx, bin, htmlPath, pdfPath); err != nil {
				return nil, err
			}
			got, err := pdfPages(pdfPath)
			if err != nil {
				return nil, err
			}
			if maps.Equal(got, pages) {
				break
			}
			if pass == 2 {
				return nil, errors.New("report: the 目录's page numbers do not settle after three prints")
			}
			pages = got
			if err := write("report.html", func(w *bufio.Writer) error { return WriteHTML(w, r, pages) }); err != nil {
				return nil, err
			}
			progress(0.8+0.06*float64(pass+1), "pdf")
		}
		if !req.wants("html") {
			if err := os.Remove(htmlPath); err != nil {
				return nil, err
			}
		}
		progress(0.99, "pdf")
	}
	return List(dir)
}

// List returns the files of a report directory, sorted by name.
func List(dir string) ([]File, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: e.Name(), Type: MediaType(e.Name()), Size: info.Size()})
	}
	return out, nil
}

// Generate builds the report and writes it into dir: the one call the CLI and the job
// runner make.
func Generate(ctx context.Context, src *Sources, req Request, dir string, opt Options, progress Progress) (*Report, []File, error) {
	r, err := Build(ctx, src, req, opt, progress)
	if err != nil {
		return nil, nil, err
	}
	files, err := Write(ctx, r, dir, opt, progress)
	if err != nil {
		return nil, nil, err
	}
	if progress != nil {
		progress(1, "done")
	}
	return r, files, nil
}

// pdfPages reads the page of every heading of a printed report from its outline.
func pdfPages(path string) (Pages, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, err := PDFOutline(b)
	if err != nil {
		return nil, fmt.Errorf("report: reading the PDF's headings: %w", err)
	}
	pages := Pages{}
	for _, e := range out {
		k := heading(e.Title)
		if _, dup := pages[k]; !dup && e.Page > 0 {
			pages[k] = e.Page
		}
	}
	return pages, nil
}
