package cli

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/frontend"
	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/caliber/caliberhttp"
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/capacity/capacityhttp"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/checks/checkshttp"
	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/edition/editionhttp"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/jobs"
	"github.com/cityreach/cityreach/internal/jobs/jobshttp"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/metrics"
	"github.com/cityreach/cityreach/internal/ogcapi"
	"github.com/cityreach/cityreach/internal/problems"
	"github.com/cityreach/cityreach/internal/problems/problemshttp"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/search"
	"github.com/cityreach/cityreach/internal/search/searchhttp"
	"github.com/cityreach/cityreach/internal/series"
	"github.com/cityreach/cityreach/internal/series/serieshttp"
	"github.com/cityreach/cityreach/internal/tijian"
	"github.com/cityreach/cityreach/internal/tijian/tijianhttp"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walk/walkhttp"
	"github.com/cityreach/cityreach/internal/walkgraph"
	"github.com/cityreach/cityreach/internal/webui"
)

// App holds the services built once per process and the route groups they serve.
type App struct {
	Mounts  []httpapi.Mounter
	Metrics *metrics.Metrics
	// Replicas routes read-only work to --replica-url's replicas; nil without any.
	Replicas *db.Router
	closers  []func()
	// warm is set when the start-up warming (Warm) has finished.
	warm   atomic.Bool
	warmUp func(ctx context.Context)
}

// Warm loads every city's coverage snapshot, walking graphs and default figures, then
// sets the flag /readyz reports; cityreach serve runs it in the background.
func (a *App) Warm(ctx context.Context) {
	if a.warmUp != nil {
		a.warmUp(ctx)
	}
	a.warm.Store(true)
}

// Close releases what buildApp started.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// buildApp wires the feature packages. Each later feature adds its Mounter here.
func buildApp(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, log *slog.Logger) (*App, error) {
	metricsAccess, err := httpapi.ParseAccess(cfg.MetricsAccess)
	if err != nil {
		return nil, err
	}
	app := &App{Metrics: metrics.New(metricsAccess)}
	app.Metrics.Pool(pool)
	router, stop, err := replicaRouter(ctx, cfg, pool, log)
	if err != nil {
		return nil, err
	}
	app.Replicas = router
	app.closers = append(app.closers, stop)

	// Vector tiles and their cache (internal/tiles, docs/tiles.md).
	tileOpts, err := tiles.OptionsFromEnv(nil, log)
	if err != nil {
		return nil, err
	}
	if router != nil {
		// Renders on a replica; the cache follows the replicated change log polled there
		// (migration 0022). Without the poll, every render waits for a replica that has
		// every edit committed on the primary, whose notifications the cache then follows.
		tileOpts.Reads = router.Reads()
		if tileOpts.Poll < 0 {
			tileOpts.Reads = router.StrongReads()
		}
	}
	tileSvc := tiles.New(pool, layers.Default(), tileOpts)
	app.Metrics.Tiles(func() metrics.TileCache {
		st := tileSvc.Stats()
		return metrics.TileCache{Tiles: int64(st.Tiles), Bytes: st.Bytes, MaxBytes: st.Max, Hits: st.Hits, Misses: st.Misses,
			Evicted: st.Evicted, Invalidations: st.Invalidations, InvalidatedTiles: st.Invalidated}
	})
	app.Mounts = append(app.Mounts, tiles.Handler{Tiles: tileSvc, Log: log})

	// The planning layers REST API (internal/featureapi, docs/api.md).
	api, err := featureapi.New(ctx, pool, layers.Default(), cfg.MaxBodyBytes, log)
	if err != nil {
		return nil, err
	}
	if router != nil {
		api.Store.ReadFrom(router.Reads()) // feature and OGC items reads: read-your-writes
	}
	// The background imports are the class importer.ClassImport of the shared job queue.
	api.Imports.Jobs.PerOwner, api.Imports.Jobs.Max = cfg.Quotas.ImportsPerToken, cfg.Quotas.Imports
	api.Imports.Limits = importLimits(cfg)
	app.Mounts = append(app.Mounts, api)
	app.closers = append(app.closers, api.Close) // background imports roll back on shutdown

	// OGC API – Features over the same store, for QGIS, ArcGIS and GDAL (internal/ogcapi, docs/ogcapi.md).
	ogc, err := ogcapi.New(ctx, pool, api.Store, api.Layers, log)
	if err != nil {
		return nil, err
	}
	app.Mounts = append(app.Mounts, ogc)

	// Isochrones and the 15-minute living circle on the cached walking network
	// (internal/walk, docs/living-circle.md).
	walkSvc := walk.NewService(pool, log)
	// With replicas, the indicators read their inputs there (docs/scale-out.md): reads
	// that see every write committed on the primary before they began, so a figure is
	// never older than an edit that preceded its request.
	capStore, checksStore := capacity.Store{Pool: pool}, &checks.Store{Pool: pool}
	if router != nil {
		walkSvc.Store.Strong = router.StrongReads()
		capStore.Reads, checksStore.Reads = router.StrongReads(), router.StrongReads()
	}
	walkSvc.ObserveLoad = app.Metrics.ObserveLoad
	// One walking graph per city and version for every indicator that walks: the living
	// circle, isochrones and capacity here, park coverage's network method below
	// (internal/walkgraph).
	walkSvc.Watch = tileSvc // edits reach the living circle through the tile cache's listener
	walkSvc.Graphs = &walkgraph.Cache{ObserveBuild: func(d time.Duration) { app.Metrics.ObserveLoad("walk_graph", d) }}
	// band= weighs the living circle's residents by age band, spread by internal/capacity
	// (walk cannot import it: capacity imports walk). Park coverage shares these Ages (set
	// below): their band counts are kept per version of the age tables, checked through the
	// tile cache's listener.
	ages := capacity.NewAges(capStore, tileSvc)
	walkSvc.Ages = ages
	app.Mounts = append(app.Mounts, walkhttp.Handler{Svc: walkSvc, Log: log})

	// Capacity against demand (2SFCA) and residents by age band (internal/capacity,
	// docs/capacity.md), on the same cached walking network.
	app.Mounts = append(app.Mounts, capacityhttp.Handler{Svc: &capacity.Service{Walk: walkSvc, Store: capStore}, Log: log})

	// Name search and label points for the web map (internal/search, docs/api.md).
	app.Mounts = append(app.Mounts, searchhttp.Handler{Store: search.Store{Pool: pool}, Log: log})

	// The web map at / (internal/webui, docs/frontend.md); it claims only /, /assets/,
	// /glyphs/ and the build's top-level files, so unknown API paths still get a 404 problem.
	app.Mounts = append(app.Mounts, webui.Mounter{FS: frontend.Dist()})

	// Park service-radius coverage and calibers (internal/coverage, docs/coverage.md).
	cov, err := coverageMounts(ctx, pool, router, log)
	if err != nil {
		return nil, err
	}
	app.Mounts = append(app.Mounts, cov...)

	// The indicator layers as tiles and as an OGC collection, always on the current data:
	// the park-coverage gaps and the communities' living-circle status (docs/tiles.md).
	covSvc := coverageService(cov)
	covSvc.Observe = func(cal, method string, d time.Duration) { app.Metrics.ObserveCompute("park_coverage", cal, method, d) }
	covSvc.ObserveLoad = func(d time.Duration) { app.Metrics.ObserveLoad("coverage_snapshot", d) }
	covSvc.Watch = tileSvc // edits reach coverage through the tile cache's listener
	covSvc.Ages = ages
	covSvc.Graphs = walkSvc.Graphs
	// On shutdown, after the job runner (closed later below, so earlier in app.Close),
	// wait a bounded time for the gap layers still being stored.
	app.closers = append(app.closers, func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), coverageCloseWait)
		defer cancel()
		if err := covSvc.Close(ctx); err != nil {
			log.Warn("park coverage gaps still being stored at shutdown; those runs stay incomplete", "err", err)
		}
	})
	app.warmUp = func(ctx context.Context) {
		// Warm with the listener connected, so the kept state knows which edits follow.
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = tileSvc.WaitLive(wctx)
		warmCities(ctx, covSvc, walkSvc, log)
		// From then on, a city loaded in full again (after an import) is warmed again in
		// the background once the edits have been quiet for 2 s.
		go covSvc.KeepWarm(ctx, 2*time.Second, func(slug string) { warmWalk(ctx, walkSvc, slug, log) })
	}
	// The indicators across the published data editions, with the target path (internal/series, docs/editions.md).
	app.Mounts = append(app.Mounts, serieshttp.Handler{Src: series.Source{Editions: edition.Store{Pool: pool}, Coverage: covSvc, Walk: walkSvc}, Log: log})
	// The 问题清单 between two editions with the 整治率 (internal/problems, docs/problems.md).
	app.Mounts = append(app.Mounts, problemshttp.Handler{Src: problems.Source{Pool: pool, Coverage: covSvc, Walk: walkSvc,
		Checks: &checks.Service{Store: checksStore, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: walkSvc}}}, Log: log})
	gaps, err := coveragehttp.NewGapCollection(ctx, pool, covSvc)
	if err != nil {
		return nil, err
	}
	if err := ogc.Catalog.Register(gaps); err != nil {
		return nil, err
	}
	if err := ogc.Catalog.Register(coveragehttp.ParcelCollection{Service: covSvc}); err != nil {
		return nil, err
	}
	if err := ogc.Catalog.Register(walkhttp.ParcelCollection{Service: walkSvc}); err != nil {
		return nil, err
	}
	if err := tileSvc.Register(coveragehttp.NewGapTiles(covSvc)); err != nil {
		return nil, err
	}
	if err := tileSvc.Register(&walkhttp.CommunityTiles{Service: walkSvc}); err != nil {
		return nil, err
	}
	if err := tileSvc.Start(ctx); err != nil {
		return nil, err
	}
	ogc.Changes = tileSvc // collection extents are cached until an edit notification
	app.closers = append(app.closers, tileSvc.Close)

	// Corridor, control-line, growth-boundary and complete-community checks (docs/checks.md).
	app.Mounts = append(app.Mounts, checkshttp.Handler{Service: &checks.Service{Store: checksStore, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: walkSvc}}, Log: log})

	// The 城市体检 self-check tables per unit, as JSON, XLSX and GeoPackage (internal/tijian, docs/tijian.md).
	app.Mounts = append(app.Mounts, tijianhttp.Handler{Src: tijian.Source{Pool: pool, Coverage: covSvc, Walk: walkSvc,
		Checks: &checks.Service{Store: checksStore, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: walkSvc}}}, Log: log})

	// Data editions: named, immutable points in time of every layer (internal/edition, docs/editions.md).
	app.Mounts = append(app.Mounts, editionhttp.Handler{Store: edition.Store{Pool: pool}, Log: log})

	// What-if scenarios on baseline + changes (internal/scenario, docs/scenarios.md); also
	// gives park coverage and the checks their scenario= parameter.
	app.Mounts = withScenarios(app.Mounts, pool, log)

	// Batch reports as asynchronous OGC API – Processes jobs on the shared job queue, from
	// the same services as the routes above (internal/jobs, internal/report,
	// docs/reports.md); this process's worker runs on the server's context.
	reports, err := reportJobs(pool, cfg.Quotas, log, cov, walkSvc)
	if err != nil {
		return nil, err
	}
	reports.Start(ctx)
	app.Metrics.Jobs("report", jobCounts(ctx, reports))
	app.Mounts = append(app.Mounts, jobshttp.Handler{Jobs: reports, Log: log})
	app.closers = append(app.closers, reports.Close)

	return app, nil
}

// coverageMounts builds the caliber registry (built-in plus stored user calibers) and the
// park-coverage service, and returns their route groups.
// With replicas, the service reads its inputs and stored runs there and writes its runs on
// the primary (coverage.Store).
func coverageMounts(ctx context.Context, pool *pgxpool.Pool, replicas *db.Router, log *slog.Logger) ([]httpapi.Mounter, error) {
	cs := &caliber.Store{Pool: pool}
	stored, err := cs.Load(ctx)
	if err != nil {
		log.Warn("user calibers not loaded (is migration 0007 applied?)", "err", err)
		stored = nil
	}
	reg, err := caliber.NewRegistry(stored...)
	if err != nil {
		return nil, err
	}
	store := coverage.Store{Pool: pool}
	if replicas != nil {
		store.Reads, store.Strong = replicas.Reads(), replicas.StrongReads()
	}
	svc := &coverage.Service{Store: store, Calibers: reg, Log: log,
		MaxWait: httpapi.WriteTimeout - time.Minute,                                    // a 503 with Retry-After, not an empty reply; the run is stored all the same
		Ages:    capacity.Ages{Store: capacity.Store{Pool: pool, Reads: store.Strong}}} // band=: residents by age band
	return []httpapi.Mounter{
		caliberhttp.Handler{Registry: reg, Store: cs, Cities: svc, Log: log},
		coveragehttp.Handler{Svc: svc, Pool: pool, Log: log},
	}, nil
}

// coverageService is the park-coverage service behind the route groups of coverageMounts.
func coverageService(cov []httpapi.Mounter) *coverage.Service {
	for _, m := range cov {
		if h, ok := m.(coveragehttp.Handler); ok {
			return h.Svc
		}
	}
	return nil
}

// coverageCloseWait bounds how long shutdown waits for park-coverage gap layers being
// stored.
const coverageCloseWait = 30 * time.Second

// reportJobs builds the report process over the park-coverage service found in cov, the
// walking service and the checks, on the shared job queue (CITYREACH_JOBS_DIR, … and the
// quotas q of its class).
func reportJobs(pool *pgxpool.Pool, q config.Quotas, log *slog.Logger, cov []httpapi.Mounter, walkSvc *walk.Service) (*jobs.Service, error) {
	opts, err := jobs.OptionsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	opts.RunningPerOwner, opts.QueuedPerOwner, opts.Queue = q.JobsRunningPerToken, q.JobsQueuedPerToken, q.JobsQueue
	src := &report.Sources{Store: report.Store{Pool: pool}, Walk: walkSvc,
		Checks: &checks.Service{Store: &checks.Store{Pool: pool}, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: walkSvc}}}
	src.Coverage = coverageService(cov)
	src.Capacity = &capacity.Service{Walk: walkSvc, Store: capacity.Store{Pool: pool}}
	proc := jobs.ReportProcess(src, report.Options{Chromium: os.Getenv("CITYREACH_CHROMIUM")})
	return jobs.New(queue.Store{Pool: pool}, opts, []jobs.Process{proc}, log)
}

// jobCounts reads the report jobs by status for /metrics (every process reads the same
// rows), on the server's context.
func jobCounts(server context.Context, s *jobs.Service) func() metrics.JobCounts {
	return func() metrics.JobCounts {
		out := metrics.JobCounts{ByStatus: map[string]int{}}
		ctx, cancel := context.WithTimeout(server, 5*time.Second)
		defer cancel()
		js, err := s.List(ctx, "")
		if err != nil {
			return out
		}
		for _, j := range js {
			out.ByStatus[j.Status]++
			if j.Started != nil && j.Finished != nil {
				out.Finished++
				out.FinishedSeconds += j.Finished.Sub(*j.Started).Seconds()
			}
		}
		return out
	}
}

// importLimits are the API's import bounds: importer.DefaultLimits of the body limit,
// with the configured overrides (docs/import.md).
func importLimits(cfg *config.Config) importer.Limits {
	lim := importer.DefaultLimits(cfg.MaxBodyBytes)
	if cfg.ImportExpandedBytes > 0 {
		lim.ExpandedBytes = cfg.ImportExpandedBytes
	}
	if cfg.ImportMaxFeatures > 0 {
		lim.Features = cfg.ImportMaxFeatures
	}
	if cfg.ImportTimeout > 0 {
		lim.Duration = cfg.ImportTimeout
	}
	return lim
}

// warmWalk loads the walking network of the isochrones of city slug.
func warmWalk(ctx context.Context, w *walk.Service, slug string, log *slog.Logger) {
	if city, err := w.City(ctx, slug); err == nil {
		if _, err := w.Network(ctx, city); err != nil {
			log.Warn("warm-up: walking network not loaded", "city", slug, "err", err)
		}
	}
}

// warmCities warms every city: the coverage snapshot, the walking graph of the coverage
// network method and of the isochrones, and the default caliber's figures. Failures are
// logged: a cold city is only slower.
func warmCities(ctx context.Context, cov *coverage.Service, w *walk.Service, log *slog.Logger) {
	t := time.Now()
	slugs, err := cov.Store.Cities(ctx)
	if err != nil {
		log.Warn("warm-up: cities not listed", "err", err)
		return
	}
	for _, slug := range slugs {
		ct := time.Now()
		if err := cov.Warm(ctx, slug); err != nil {
			log.Warn("warm-up: park coverage not warmed", "city", slug, "err", err)
		}
		warmWalk(ctx, w, slug, log)
		log.Info("warm-up: city warm", "city", slug, "ms", time.Since(ct).Milliseconds())
	}
	log.Info("warm-up done", "cities", len(slugs), "ms", time.Since(t).Milliseconds())
}
