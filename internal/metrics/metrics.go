// Package metrics exposes cityreach's Prometheus metrics at /metrics: HTTP requests by
// route template, the tile cache, the database pool, jobs, indicator computations and
// snapshot loads. It keeps its own registry (no global state); the domain packages stay
// free of Prometheus: they report through plain func hooks, and counters they already
// keep (tile cache, pool, jobs) are read at scrape time by collectors.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cityreach/cityreach/internal/httpapi"
)

// Metrics is the registry and the series cityreach records.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	bytes     *prometheus.CounterVec
	compute   *prometheus.HistogramVec
	loads     *prometheus.HistogramVec
	access    httpapi.Access
}

// New returns a registry with the Go runtime and process collectors and the HTTP,
// computation and load series; /metrics answers callers with access.
func New(access httpapi.Access) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), access: access}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "cityreach", Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests by route template, method and status code.",
	}, []string{"route", "method", "code"})
	m.durations = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "cityreach", Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time from the request's arrival to the end of its handler, by route template and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route", "method"})
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "cityreach", Subsystem: "http", Name: "response_bytes_total",
		Help: "Bytes written by handlers (before compression), by route template.",
	}, []string{"route"})
	m.compute = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "cityreach", Subsystem: "indicator", Name: "compute_seconds",
		Help:    "Indicator computations (not reused answers), by indicator, caliber and method.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"indicator", "caliber", "method"})
	m.loads = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "cityreach", Subsystem: "snapshot", Name: "load_seconds",
		Help:    "Loads of a city's data from PostGIS into memory (coverage snapshot, walking network, living-circle inputs) and builds of its shared walking graph (walk_graph).",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"what"})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.durations, m.bytes, m.compute, m.loads)
	return m
}

// Middleware records every request under its route template (gin's FullPath, so
// /tiles/:layers/:z/:x/:y is one series, not one per tile); unmatched paths count as
// "unmatched".
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request.Method
		m.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		m.durations.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		if n := c.Writer.Size(); n > 0 {
			m.bytes.WithLabelValues(route).Add(float64(n))
		}
	}
}

// Handler serves the registry in the Prometheus text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// ObserveCompute records one indicator computation.
func (m *Metrics) ObserveCompute(indicator, caliber, method string, d time.Duration) {
	m.compute.WithLabelValues(indicator, caliber, method).Observe(d.Seconds())
}

// ObserveLoad records one load of a city's data into memory.
func (m *Metrics) ObserveLoad(what string, d time.Duration) {
	m.loads.WithLabelValues(what).Observe(d.Seconds())
}

// Pool exports the pgx pool's statistics, read at each scrape.
func (m *Metrics) Pool(pool *pgxpool.Pool) {
	m.reg.MustRegister(newFuncCollector("cityreach_db_pool", func(emit emitFunc) {
		s := pool.Stat()
		emit("acquired_conns", "Connections in use.", prometheus.GaugeValue, float64(s.AcquiredConns()))
		emit("idle_conns", "Idle connections.", prometheus.GaugeValue, float64(s.IdleConns()))
		emit("total_conns", "Open connections.", prometheus.GaugeValue, float64(s.TotalConns()))
		emit("max_conns", "The pool's size.", prometheus.GaugeValue, float64(s.MaxConns()))
		emit("acquires_total", "Connections handed out.", prometheus.CounterValue, float64(s.AcquireCount()))
		emit("empty_acquires_total", "Acquires that had to wait for a connection.", prometheus.CounterValue, float64(s.EmptyAcquireCount()))
		emit("acquire_wait_seconds_total", "Time spent waiting for a connection.", prometheus.CounterValue, s.AcquireDuration().Seconds())
		emit("canceled_acquires_total", "Acquires given up because their context ended.", prometheus.CounterValue, float64(s.CanceledAcquireCount()))
	}))
}

// TileCache are the tile cache's counters as the tiles package keeps them.
type TileCache struct {
	Tiles, Bytes, MaxBytes                                 int64
	Hits, Misses, Evicted, Invalidations, InvalidatedTiles int64
}

// Tiles exports the tile cache's counters, read at each scrape through stats.
func (m *Metrics) Tiles(stats func() TileCache) {
	m.reg.MustRegister(newFuncCollector("cityreach_tile_cache", func(emit emitFunc) {
		s := stats()
		emit("tiles", "Tiles held.", prometheus.GaugeValue, float64(s.Tiles))
		emit("bytes", "Bytes held.", prometheus.GaugeValue, float64(s.Bytes))
		emit("max_bytes", "The cache's size bound.", prometheus.GaugeValue, float64(s.MaxBytes))
		emit("hits_total", "Tiles served from the cache.", prometheus.CounterValue, float64(s.Hits))
		emit("misses_total", "Tiles rendered because the cache had none.", prometheus.CounterValue, float64(s.Misses))
		emit("evicted_total", "Tiles pushed out by the size bound.", prometheus.CounterValue, float64(s.Evicted))
		emit("invalidations_total", "Edits processed by the invalidation listener.", prometheus.CounterValue, float64(s.Invalidations))
		emit("invalidated_tiles_total", "Tiles removed because an edit changed them.", prometheus.CounterValue, float64(s.InvalidatedTiles))
	}))
}

// JobCounts are jobs by status, and the summed run time of finished ones.
type JobCounts struct {
	ByStatus        map[string]int
	FinishedSeconds float64
	Finished        int
}

// Jobs exports the jobs (report jobs, async imports) of kind, read at each scrape.
func (m *Metrics) Jobs(kind string, counts func() JobCounts) {
	m.reg.MustRegister(newFuncCollector("cityreach_"+kind, func(emit emitFunc) {
		s := counts()
		for _, st := range []string{"accepted", "running", "successful", "failed", "dismissed"} {
			emit("jobs", "Jobs by status.", prometheus.GaugeValue, float64(s.ByStatus[st]), "status", st)
		}
		emit("finished_seconds_sum", "Summed run time of the finished jobs still kept.", prometheus.GaugeValue, s.FinishedSeconds)
		emit("finished_count", "Finished jobs still kept.", prometheus.GaugeValue, float64(s.Finished))
	}))
}

// Routes serves GET /metrics under access (config.MetricsAccess).
func (m *Metrics) Routes() []httpapi.Route {
	return []httpapi.Route{{Method: http.MethodGet, Path: "/metrics", Access: m.access,
		Summary: "Prometheus metrics: requests, tile cache, database pool, jobs, computations, loads", OperationID: "getMetrics",
		Responses: []httpapi.Response{{Status: http.StatusOK, Description: "Prometheus text exposition format 0.0.4", Type: "text/plain"}},
		Handlers:  []gin.HandlerFunc{gin.WrapH(m.Handler())}}}
}
