package tiles

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/gzip"

	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/layers"
)

// DefaultLimit is the per-tile, per-layer feature limit when the client sets none; a
// client's limit= may only lower it.
const DefaultLimit = 50000

// Options configure a Service.
type Options struct {
	// CacheBytes bounds the tile cache; 0 disables it (every request renders).
	CacheBytes int64
	// Eventual, when true, serves cache hits without first confirming that every
	// committed edit has been processed: a hit may then be stale for the few milliseconds
	// a notification takes to arrive. The default (false) confirms with one shared empty
	// round trip on the LISTEN connection per batch of concurrent hits (see listener), so
	// a request never sees a tile older than the last edit committed before it arrived.
	Eventual bool
	// SyncTimeout bounds that confirmation; past it the request renders from the database.
	SyncTimeout time.Duration
	Logger      *slog.Logger
	// Reads, when set, is where renders read: a replica router's reads (db.Router.Reads).
	// The cache then follows the change log polled through Reads (migration 0022,
	// changelog.go) instead of the primary's notifications: the confirmation above is a
	// poll begun after the request arrived, and every render reads a database at or past
	// the last poll's position (db.WithMinLSN), so the cache rules above hold relative to
	// what the read database has replayed. nil: the pool. The LISTEN connection is always
	// the pool's (NOTIFY is not replicated); with Poll < 0, Reads must see every edit
	// committed before each render began (db.Router.StrongReads).
	Reads DB
	// Poll is how often the change log is read (DefaultPoll when 0; negative: never). On
	// the primary the log is a backstop of the notifications (an edit is applied once,
	// whichever reports it first).
	Poll time.Duration
	// StoreMin is the number of features from which a tile of a stored zoom is kept in the
	// tile store (store.go, migration 0026): DefaultStoreMin when 0; negative: the store
	// is neither read nor filled.
	StoreMin int
	// NoBackgroundFill: Start does not fill the store after start-up and after edits (the
	// CLI, which calls Fill itself).
	NoBackgroundFill bool
}

// OptionsFromEnv reads CITYREACH_TILE_CACHE_MB (default 128; 0 disables the cache),
// CITYREACH_TILE_CONSISTENCY (strict, the default, or eventual),
// CITYREACH_TILE_CHANGELOG_POLL (a duration such as 250ms, the default, or off) and
// CITYREACH_TILE_STORE (the feature count from which a tile is stored, default
// DefaultStoreMin, or off).
func OptionsFromEnv(getenv func(string) string, log *slog.Logger) (Options, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	o := Options{CacheBytes: 128 << 20, Logger: log}
	if v := getenv("CITYREACH_TILE_CACHE_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1<<20 {
			return o, fmt.Errorf("CITYREACH_TILE_CACHE_MB=%q: want a whole number of megabytes, 0 to disable the cache", v)
		}
		o.CacheBytes = n << 20
	}
	switch v := getenv("CITYREACH_TILE_CONSISTENCY"); v {
	case "", "strict":
	case "eventual":
		o.Eventual = true
	default:
		return o, fmt.Errorf("CITYREACH_TILE_CONSISTENCY=%q: want strict or eventual", v)
	}
	switch v := getenv("CITYREACH_TILE_CHANGELOG_POLL"); v {
	case "":
	case "off":
		o.Poll = -1
	default:
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > time.Minute {
			return o, fmt.Errorf("CITYREACH_TILE_CHANGELOG_POLL=%q: want a duration from 10ms to 1m, or off", v)
		}
		o.Poll = d
	}
	switch v := getenv("CITYREACH_TILE_STORE"); v {
	case "":
	case "off":
		o.StoreMin = -1
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > DefaultLimit {
			return o, fmt.Errorf("CITYREACH_TILE_STORE=%q: want the number of features (1 to %d) from which a tile is stored, or off", v, DefaultLimit)
		}
		o.StoreMin = n
	}
	return o, nil
}

// Service renders and caches tiles. Build it with New, add extra sources with Register,
// then Start it; Close stops the listener.
type Service struct {
	db      DB
	primary TxDB // where the tile store is filled; nil without one
	connect func(ctx context.Context, onNotify func(*pgconn.PgConn, *pgconn.Notification)) (*pgx.Conn, error)
	opts    Options
	log     *slog.Logger

	sources map[string]Source
	order   []string
	deps    map[string][]depOf // notified layer → sources that depend on it

	// editions resolves as_of= edition names (nil Pool in unit tests without a database).
	editions edition.Store

	cache  *cache
	listen *listener
	poll   *poller // the change log; nil when Poll < 0
	follow bool    // the cache follows poll (renders read from Reads), not listen
	flight flights

	// The tile store (store.go): storeMin features make a tile stored (<= 0: no store);
	// postgis is the PostGIS version, "" when the store's tables are missing.
	storeMin int
	postgis  string

	cancel context.CancelFunc
	done   chan struct{}

	// gens counts the processed edit notifications of each layer; epoch counts the cache
	// resets (reconnects, unreadable notifications). See Args.Generation.
	zooms zoomCache
	genMu sync.Mutex
	gens  map[string]uint64
	epoch uint64
}

type depOf struct {
	source  string
	marginM float64
	whole   bool
}

// New returns a Service drawing every layer of reg from pool.
func New(pool *pgxpool.Pool, reg *layers.Registry, o Options) *Service {
	cfg := pool.Config().ConnConfig
	connect := func(ctx context.Context, onNotify func(*pgconn.PgConn, *pgconn.Notification)) (*pgx.Conn, error) {
		c := cfg.Copy()
		c.RuntimeParams["application_name"] = "cityreach-tiles-listener"
		c.OnNotification = onNotify
		return pgx.ConnectConfig(ctx, c)
	}
	var reads DB = pool
	if o.Reads != nil {
		reads = o.Reads
	}
	s := newService(reads, connect, reg, o)
	s.editions = edition.Store{Pool: pool}
	s.primary = pool
	s.follow = o.Reads != nil && o.Poll >= 0
	return s
}

func newService(db DB, connect func(ctx context.Context, onNotify func(*pgconn.PgConn, *pgconn.Notification)) (*pgx.Conn, error), reg *layers.Registry, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SyncTimeout <= 0 {
		o.SyncTimeout = 2 * time.Second
	}
	s := &Service{db: db, connect: connect, opts: o, log: o.Logger, sources: map[string]Source{}, deps: map[string][]depOf{}}
	switch {
	case o.StoreMin == 0:
		s.storeMin = DefaultStoreMin
	case o.StoreMin > 0:
		s.storeMin = o.StoreMin
	}
	for _, l := range reg.All() {
		_ = s.Register(TableSource(l))
	}
	if o.CacheBytes > 0 {
		s.cache = newCache(o.CacheBytes)
	}
	return s
}

// Register adds a source, such as an indicator layer. Call it before Start.
func (s *Service) Register(src Source) error {
	n := src.Name()
	if !validName(n) {
		return fmt.Errorf("tiles: source name %q must be lower-case letters, digits and _", n)
	}
	if _, dup := s.sources[n]; dup {
		return fmt.Errorf("tiles: source %q registered twice", n)
	}
	s.sources[n] = src
	s.order = append(s.order, n)
	for _, d := range src.DependsOn() {
		s.deps[d.Layer] = append(s.deps[d.Layer], depOf{source: n, marginM: d.MarginM, whole: d.Whole})
	}
	return nil
}

// Source returns the source called name, or nil.
func (s *Service) Source(name string) Source { return s.sources[name] }

// Sources returns every source in registration order.
func (s *Service) Sources() []Source {
	out := make([]Source, len(s.order))
	for i, n := range s.order {
		out[i] = s.sources[n]
	}
	return out
}

// Start checks that every table layer has its geom_3857 column (sources without it are
// withdrawn, with a warning), puts the layers of tile_block_specs on their generalised
// blocks for zoom 0–12, and starts the cache listener.
func (s *Service) Start(ctx context.Context) error {
	var tables []string
	for _, src := range s.sources {
		if _, ok := src.(tableSource); ok {
			tables = append(tables, src.Name())
		}
	}
	have, err := hasColumn(ctx, s.db, tables, "geom_3857")
	if err != nil {
		return fmt.Errorf("tiles: %w", err)
	}
	for _, t := range tables {
		if !have[t] {
			s.log.Warn("layer has no geom_3857 column (migration 0006 not applied?); it is not served as tiles", "layer", t)
			delete(s.sources, t)
		}
	}
	reg := map[string]*layers.Layer{}
	for _, src := range s.sources {
		if ts, ok := src.(tableSource); ok {
			reg[ts.layer.ID] = ts.layer
		}
	}
	specs, err := loadBlockSpecs(ctx, s.db, reg)
	if err != nil {
		return fmt.Errorf("tiles: %w", err)
	}
	clear, err := hasColumn(ctx, s.db, tables, "geom_3857_clearance")
	if err != nil {
		return fmt.Errorf("tiles: %w", err)
	}
	grid14, err := hasColumn(ctx, s.db, tables, "geom_3857_z14")
	if err != nil {
		return fmt.Errorf("tiles: %w", err)
	}
	for name, l := range reg {
		s.sources[name] = newTableSource(l, specs[name], clear[name], grid14[name])
	}
	order := s.order[:0]
	for _, n := range s.order {
		if s.sources[n] != nil {
			order = append(order, n)
		}
	}
	s.order = order
	if s.storeMin > 0 {
		if s.postgis, err = storeVersion(ctx, s.db); err != nil {
			return fmt.Errorf("tiles: %w", err)
		}
	}
	// The listener and the store's fills live until Close, not until ctx (a start-up
	// context) is done.
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	defer func() { go func() { defer close(s.done); wg.Wait() }() }()
	if s.cache != nil {
		s.listen = newListener(s.connect, s.notified, s.reset, s.log)
	}
	if s.postgis != "" && s.primary != nil && !s.opts.NoBackgroundFill {
		wg.Go(func() { s.keepStored(lctx, 2*time.Second) })
	}
	if s.cache == nil {
		return nil
	}
	wg.Go(func() { s.listen.run(lctx) })
	if s.opts.Poll >= 0 {
		var reset func() // a backstop of the listener: the listener resets on its own
		if s.follow {
			reset = s.reset
		}
		s.poll = newPoller(s.db, s.opts.Poll, s.applyChange, reset, s.log)
		wg.Go(func() { s.poll.run(lctx) })
	}
	return nil
}

// reset drops the whole cache and starts a new generation epoch: what happened while the
// listener was away (or in an unreadable notification) is unknown.
func (s *Service) reset() {
	s.genMu.Lock()
	s.epoch++
	s.genMu.Unlock()
	s.cache.reset()
}

// generation is the state of the edit notifications of layers, ok false without a live
// listener (then nothing can be known without asking the database).
func (s *Service) generation(layers []string) (string, bool) {
	if !s.Live() {
		return "", false
	}
	s.genMu.Lock()
	defer s.genMu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d", s.epoch)
	for _, l := range layers {
		fmt.Fprintf(&b, ",%d", s.gens[l])
	}
	return b.String(), true
}

// Generation is a token that changes whenever one of tables is edited (any insert,
// update, delete or truncate notified on cityreach_tiles), read after the listener has
// caught up with every edit committed before the call (unless the cache is Eventual), as
// tiles are; ok is false without a live listener. Caches of facts derived from the data
// key on it: the TileJSON maxzoom, the OGC collection extents.
func (s *Service) Generation(ctx context.Context, tables []string) (string, bool) {
	if !s.Live() {
		return "", false
	}
	if !s.opts.Eventual {
		sctx, cancel := context.WithTimeout(ctx, s.opts.SyncTimeout)
		err := s.listen.sync(sctx)
		cancel()
		if err != nil {
			return "", false
		}
	}
	return s.generation(tables)
}

// Sync returns once every edit committed before the call has reached this process's
// notification handler (the listener's barrier), or an error when there is no live
// listener. Other caches of per-table state (park coverage's data versions) use it with
// Generations to know what changed without asking the database.
func (s *Service) Sync(ctx context.Context) error {
	if s.listen == nil {
		return errNotLive
	}
	return s.listen.sync(ctx)
}

// Generations returns the listener's epoch (raised whenever notifications may have been
// lost) and, for each of tables, how many edit notifications have arrived for it; ok is
// false without a live listener.
func (s *Service) Generations(tables []string) (epoch uint64, gens []uint64, ok bool) {
	if !s.Live() {
		return 0, nil, false
	}
	s.genMu.Lock()
	defer s.genMu.Unlock()
	gens = make([]uint64, len(tables))
	for i, t := range tables {
		gens[i] = s.gens[t]
	}
	return s.epoch, gens, true
}

// Live reports whether the cache is in use: the listener is connected, so cached tiles
// can be served and edits evict them. Without a cache it is false.
func (s *Service) Live() bool { return s.listen != nil && s.listen.live.Load() }

// WaitLive waits until Live (and, for a cache that follows the change log, until the
// log has been read) or ctx ends; without a cache it returns at once.
func (s *Service) WaitLive(ctx context.Context) error {
	if s.listen == nil {
		return nil
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !s.Live() || (s.follow && !s.poll.live.Load()) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("tiles: the listener did not connect: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Close stops the listener.
func (s *Service) Close() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
}

// PollStats returns the change log poller's counters (zero without one).
func (s *Service) PollStats() PollStats {
	if s.poll == nil {
		return PollStats{}
	}
	return s.poll.stats()
}

// Stats returns the cache counters (zero when the cache is disabled).
func (s *Service) Stats() Stats {
	if s.cache == nil {
		return Stats{}
	}
	return s.cache.stats()
}

// notified evicts the tiles an edit touched (see applyChange). The payload is a row of
// the change log (without its xid): when the cache follows the notifications, an edit the
// poller already applied is skipped, and the poller skips those applied here.
func (s *Service) notified(payload string) {
	var n change
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.Layer == "" {
		// Cannot tell what changed: be safe.
		s.log.Warn("unreadable tile notification; dropping the whole cache", "payload", payload)
		s.reset()
		return
	}
	if !s.follow && s.poll != nil && n.ID != 0 && !s.poll.mark(n.ID) {
		return
	}
	s.applyChange(n)
}

// applyChange evicts the tiles an edit touched: for every source depending on the layer,
// the tiles whose buffered envelope meets an old or new box, grown by the dependency's margin.
func (s *Service) applyChange(n change) {
	s.genMu.Lock()
	if s.gens == nil {
		s.gens = map[string]uint64{}
	}
	s.gens[n.Layer]++
	s.genMu.Unlock()
	boxes := map[string][]Box{}
	all := map[string]bool{}
	for _, d := range s.deps[n.Layer] {
		if n.All || d.whole {
			all[d.source] = true
			continue
		}
		for _, b := range n.Boxes {
			boxes[d.source] = append(boxes[d.source], grow(LonLatBoxTo3857(Box{b[0], b[1], b[2], b[3]}), b, d.marginM))
		}
	}
	k := s.cache.invalidate(boxes, all)
	s.log.Debug("tiles invalidated", "layer", n.Layer, "boxes", len(n.Boxes), "all", n.All, "evicted", k)
}

// grow widens a 3857 box by m ground metres (plus 1 m against rounding). Web Mercator
// stretches distances by 1/cos(latitude); the larger stretch of the box's edges is used.
func grow(b Box, ll [4]float64, m float64) Box {
	lat := math.Min(math.Max(math.Abs(ll[1]), math.Abs(ll[3])), maxMercLat)
	d := (m+1)/math.Cos(lat*math.Pi/180) + 1e-6*math.Max(math.Abs(b.MaxX), math.Abs(b.MaxY))
	return Box{b.MinX - d, b.MinY - d, b.MaxX + d, b.MaxY + d}
}

// TileRequest is a validated request for one tile of one or more sources.
type TileRequest struct {
	Sources    []string
	Tile       Tile
	Properties []string // nil: each source's default fields
	Limit      int
	City       string            // "", an id or a slug
	Params     map[string]string // source-specific parameters, validated

	// asOf is Params[as_of] resolved for the table sources (Service.resolveAsOf).
	asOf *AsOf
}

func (r TileRequest) key() string {
	var b strings.Builder
	b.WriteString(strings.Join(r.Sources, ","))
	fmt.Fprintf(&b, "/%d/%d/%d?l=%d&c=%s", r.Tile.Z, r.Tile.X, r.Tile.Y, r.Limit, r.City)
	if r.Properties != nil {
		b.WriteString("&p=" + strings.Join(r.Properties, ","))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		b.WriteString("&" + url.QueryEscape(k) + "=" + url.QueryEscape(r.Params[k]))
	}
	if r.asOf != nil {
		// The resolved city and instant, not only the name: an edition deleted and made
		// again under the same name reads another instant.
		fmt.Fprintf(&b, "&asof=%d@%d", r.asOf.CityID, r.asOf.At.UnixNano())
	}
	return b.String()
}

// CacheStatus says where a tile came from, for the X-Cache header.
type CacheStatus string

// The cache statuses.
const (
	Hit    CacheStatus = "hit"
	Miss   CacheStatus = "miss"
	Bypass CacheStatus = "bypass" // cache disabled or its freshness could not be confirmed
)

// Result is a served tile. Gzip holds the gzipped MVT when Raw is nil (cached tiles are
// stored compressed once); Empty tiles have neither.
type Result struct {
	Raw, Gzip []byte
	Empty     bool
	ETag      string // quoted strong ETag of the uncompressed bytes
	Status    CacheStatus
}

// Body returns the tile in the encoding asked for.
func (r *Result) Body(gz bool) ([]byte, error) {
	switch {
	case r.Empty:
		return nil, nil
	case gz && r.Gzip != nil:
		return r.Gzip, nil
	case gz:
		return gzipBytes(r.Raw, gzip.BestSpeed), nil
	case r.Raw != nil:
		return r.Raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Gzip))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	_, err = out.ReadFrom(zr)
	return out.Bytes(), err
}

// Tile returns the tile for r from the cache or the database.
func (s *Service) Tile(ctx context.Context, r TileRequest) (*Result, error) {
	at, err := s.resolveAsOf(ctx, r)
	if err != nil {
		return nil, err
	}
	r.asOf = at
	if s.cache == nil {
		return s.bypass(ctx, r)
	}
	arrived := time.Now()
	key := r.key()
	var feed interface {
		sync(context.Context) error
	} = s.listen
	usable := s.listen.live.Load()
	if s.follow {
		feed, usable = s.poll, s.poll.live.Load()
	}
	if usable && !s.opts.Eventual {
		sctx, cancel := context.WithTimeout(ctx, s.opts.SyncTimeout)
		err := feed.sync(sctx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		usable = err == nil
	}
	if usable {
		if e := s.cache.get(key); e != nil {
			return &Result{Gzip: e.gz, Empty: e.gz == nil, ETag: e.etag, Status: Hit}, nil
		}
	}
	if !usable {
		return s.bypass(ctx, r)
	}
	e, err := s.flight.do(ctx, key, arrived, func() (*entry, error) { return s.renderAndStore(ctx, key, r) })
	if err != nil {
		return nil, err
	}
	return &Result{Gzip: e.gz, Empty: e.gz == nil, ETag: e.etag, Status: Miss}, nil
}

// bypass renders r without the cache (from the tile store when it can).
func (s *Service) bypass(ctx context.Context, r TileRequest) (*Result, error) {
	t, err := s.render(ctx, r)
	if err != nil {
		return nil, err
	}
	if t.stored {
		return &Result{Gzip: t.gz, ETag: t.etag, Status: Bypass}, nil
	}
	return &Result{Raw: t.raw, Empty: len(t.raw) == 0, ETag: t.etag, Status: Bypass}, nil
}

func (s *Service) renderAndStore(ctx context.Context, key string, r TileRequest) (*entry, error) {
	snap := s.cache.snapshot(r.Sources)
	if s.follow {
		// At or past the last poll, read after the snapshot (see poller.poll).
		ctx = db.WithMinLSN(ctx, db.LSN(s.poll.lsn.Load()))
	}
	t, err := s.render(ctx, r)
	if err != nil {
		return nil, err
	}
	e := &entry{key: key, sources: r.Sources, env: r.Tile.Envelope(float64(Buffer) / Extent), rawLen: t.rawLen, etag: t.etag, gz: t.gz}
	if !t.stored && len(t.raw) > 0 {
		e.gz = gzipBytes(t.raw, gzip.DefaultCompression)
	}
	s.cache.put(e, snap)
	return e, nil
}

// Render runs the tile query: one ST_AsMVT layer per source, concatenated (a valid MVT).
// An empty result (no features in any layer) is a zero-length slice. It always draws:
// Tile also reads the tile store.
func (s *Service) Render(ctx context.Context, r TileRequest) ([]byte, error) {
	sql, args, err := s.tileSQL(ctx, r)
	if err != nil {
		return nil, err
	}
	var b []byte
	if err := s.db.QueryRow(ctx, sql, args...).Scan(&b); err != nil {
		return nil, fmt.Errorf("tile %s of %s: %w", r.Tile, strings.Join(r.Sources, ","), err)
	}
	return b, nil
}

func (s *Service) tileSQL(ctx context.Context, r TileRequest) (string, []any, error) {
	if r.asOf == nil {
		at, err := s.resolveAsOf(ctx, r)
		if err != nil {
			return "", nil, err
		}
		r.asOf = at
	}
	a, err := s.args(ctx, r.Tile, r.Limit, r.City, r.Params)
	if err != nil {
		return "", nil, err
	}
	a.gen = s.generation
	a.asOf = r.asOf
	parts := make([]string, 0, len(r.Sources))
	for _, name := range r.Sources {
		src := s.sources[name]
		if src == nil {
			return "", nil, fmt.Errorf("tiles: unknown source %q", name)
		}
		if p, ok := src.(Preparer); ok {
			if err := p.Prepare(ctx, a); err != nil {
				return "", nil, err
			}
		}
		inf := src.Info()
		q, err := src.Query(Request{Tile: r.Tile, Properties: propsFor(&inf, r.Properties)}, a)
		if err != nil {
			return "", nil, err
		}
		id := ""
		if inf.IDColumn != "" {
			id = ", " + a.Add(inf.IDColumn) + "::text"
		}
		parts = append(parts, fmt.Sprintf("coalesce((SELECT ST_AsMVT(q, %s::text, %d, 'geom'%s) FROM (%s) q WHERE q.geom IS NOT NULL), ''::bytea)",
			a.Add(name), Extent, id, q))
	}
	return "SELECT " + strings.Join(parts, " || "), a.Values(), nil
}

// propsFor picks the requested properties that inf has (a composite request names the
// union), or inf's default fields when none were requested.
func propsFor(inf *Info, req []string) []string {
	out := []string{}
	if req == nil {
		for _, f := range inf.Fields {
			if f.Default {
				out = append(out, f.Name)
			}
		}
		return out
	}
	for _, p := range req {
		if inf.Field(p) != nil {
			out = append(out, p)
		}
	}
	return out
}

// Bounds is the union of the sources' data extents in EPSG:4326; ok is false when none has data.
func (s *Service) Bounds(ctx context.Context, names []string, city string) (Box, bool, error) {
	var u Box
	found := false
	for _, n := range names {
		a, err := s.args(ctx, Tile{}, 0, city, nil)
		if err != nil {
			return Box{}, false, err
		}
		b, ok, err := s.sources[n].Bounds(ctx, s.db, a)
		if err != nil {
			return Box{}, false, err
		}
		if !ok {
			continue
		}
		if !found {
			u, found = b, true
			continue
		}
		u = Box{math.Min(u.MinX, b.MinX), math.Min(u.MinY, b.MinY), math.Max(u.MaxX, b.MaxX), math.Max(u.MaxY, b.MaxY)}
	}
	return u, found, nil
}

func etag(raw []byte) string {
	h := sha256.Sum256(raw)
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// gzipPools keep gzip writers per level: a new writer allocates several hundred kilobytes
// of compressor state, which at a thousand small tiles a second is most of the server's
// garbage.
var gzipPools = map[int]*sync.Pool{}

func init() {
	for _, l := range []int{gzip.BestSpeed, gzip.DefaultCompression} {
		gzipPools[l] = &sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, l); return w }}
	}
}

func gzipBytes(raw []byte, level int) []byte {
	var b bytes.Buffer
	b.Grow(len(raw)/3 + 64)
	p := gzipPools[level]
	var w *gzip.Writer
	if p != nil {
		w = p.Get().(*gzip.Writer)
		w.Reset(&b)
		defer p.Put(w)
	} else {
		w, _ = gzip.NewWriterLevel(&b, level)
	}
	_, _ = w.Write(raw)
	_ = w.Close()
	return b.Bytes()
}

// flights lets concurrent misses of one tile share one render. A request joins a render
// only if that render started after the request arrived, so it never receives a tile
// older than an edit committed before it asked.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	started time.Time
	done    chan struct{}
	e       *entry
	err     error
}

func (f *flights) do(ctx context.Context, key string, arrived time.Time, fn func() (*entry, error)) (*entry, error) {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*flight{}
	}
	if c := f.m[key]; c != nil && c.started.After(arrived) {
		f.mu.Unlock()
		select {
		case <-c.done:
			if c.err == nil {
				return c.e, nil
			}
			// The leader failed, perhaps only because its client left: render ourselves.
			return fn()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &flight{started: time.Now(), done: make(chan struct{})}
	f.m[key] = c
	f.mu.Unlock()
	c.e, c.err = fn()
	close(c.done)
	f.mu.Lock()
	if f.m[key] == c {
		delete(f.m, key)
	}
	f.mu.Unlock()
	return c.e, c.err
}
