// Package config reads cityreach's configuration from flags and the environment and
// validates it at start-up, with messages a newcomer can act on.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one cityreach process.
type Config struct {
	// DatabaseURL is a PostgreSQL connection string (URL or key=value form).
	DatabaseURL string
	// Listen is the HTTP listen address, host:port.
	Listen string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// DBMaxConns bounds the pgx pool.
	DBMaxConns int32
	// StatementTimeout cancels any SQL statement that runs longer.
	StatementTimeout time.Duration
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// AnonymousRead lets requests without a token read layers.
	AnonymousRead bool
	// Migrate applies pending migrations before serving.
	Migrate bool
	// City is the default city slug.
	City string
	// Quotas bound the jobs and background imports of each token and of the server.
	Quotas Quotas
	// MetricsAccess is who may read /metrics: public, anonymous-read (as every other
	// read: open while AnonymousRead is on), viewer or admin.
	MetricsAccess string
	// ImportExpandedBytes bounds what a zipped upload may expand to (0 = 20 × MaxBodyBytes,
	// at most 1 GiB; docs/import.md).
	ImportExpandedBytes int64
	// ImportMaxFeatures bounds the features of one import (0 = 2 000 000).
	ImportMaxFeatures int
	// ImportTimeout bounds one import, reading and writing (0 = 10 minutes).
	ImportTimeout time.Duration
	// ReplicaURLs are PostgreSQL streaming replicas of DatabaseURL's server that serve
	// read-only work (docs/scale-out.md); empty: everything runs on the primary.
	ReplicaURLs []string
	// ReplicaMaxLag drops a replica whose replay is further behind the primary.
	ReplicaMaxLag time.Duration
	// ReplicaWait bounds how long a read waits for a replica to replay the client's last
	// write before it goes to the primary.
	ReplicaWait time.Duration
	// CORSOrigins are the origins (scheme://host[:port], or *) whose pages browsers may let
	// call the API; empty allows none.
	CORSOrigins []string
}

// Quotas bound asynchronous work (docs/security.md). A request beyond one gets 429 with
// Retry-After.
type Quotas struct {
	// JobsRunningPerToken is how many of one token's jobs run at once.
	JobsRunningPerToken int
	// JobsQueuedPerToken is how many more of one token's jobs may wait.
	JobsQueuedPerToken int
	// JobsQueue bounds the jobs waiting or running over all tokens.
	JobsQueue int
	// ImportsPerToken bounds the background imports one token runs at once.
	ImportsPerToken int
	// Imports bounds the background imports of all tokens (each holds a connection).
	Imports int
	// HeavyPerCaller bounds the computations (heavy reads: indicators, sites, comparisons,
	// checks) one caller runs at once; HeavySlots those of the server.
	HeavyPerCaller, HeavySlots int
}

// Defaults returns the configuration used when neither a flag nor the environment says otherwise.
func Defaults() Config {
	return Config{
		Listen:           ":8080",
		LogLevel:         "info",
		LogFormat:        "text",
		DBMaxConns:       8,
		StatementTimeout: 60 * time.Second,
		MaxBodyBytes:     32 << 20,
		AnonymousRead:    true,
		City:             "baotou",
		Quotas:           Quotas{JobsRunningPerToken: 2, JobsQueuedPerToken: 4, JobsQueue: 32, ImportsPerToken: 2, Imports: 4, HeavyPerCaller: 16, HeavySlots: 8},
		MetricsAccess:    "anonymous-read",
		ReplicaMaxLag:    5 * time.Second,
		ReplicaWait:      time.Second,
	}
}

// Register binds the flags of cfg to fs. Environment variables, applied by FromEnv before
// parsing, become the flags' defaults, so a flag given on the command line wins.
func (c *Config) Register(fs *flag.FlagSet) {
	replicaFlagSeen := false
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL connection string (env DATABASE_URL)")
	fs.StringVar(&c.Listen, "listen", c.Listen, "HTTP listen address (env CITYREACH_LISTEN)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env CITYREACH_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (env CITYREACH_LOG_FORMAT)")
	fs.Func("db-max-conns", "maximum database connections (env CITYREACH_DB_MAX_CONNS)", func(s string) error {
		n, err := strconv.ParseInt(s, 10, 32)
		c.DBMaxConns = int32(n)
		return err
	})
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", c.StatementTimeout, "SQL statement timeout (env CITYREACH_STATEMENT_TIMEOUT)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest accepted request body (env CITYREACH_MAX_BODY_BYTES)")
	fs.BoolVar(&c.AnonymousRead, "anonymous-read", c.AnonymousRead, "allow reads without a token (env CITYREACH_ANONYMOUS_READ)")
	fs.StringVar(&c.City, "city", c.City, "default city slug (env CITYREACH_CITY)")
	fs.StringVar(&c.MetricsAccess, "metrics-access", c.MetricsAccess, "who may read /metrics: public, anonymous-read, viewer or admin (env CITYREACH_METRICS_ACCESS)")
	q := &c.Quotas
	fs.IntVar(&q.JobsRunningPerToken, "jobs-running-per-token", q.JobsRunningPerToken, "jobs of one token that run at once (env CITYREACH_JOBS_RUNNING_PER_TOKEN)")
	fs.IntVar(&q.JobsQueuedPerToken, "jobs-queued-per-token", q.JobsQueuedPerToken, "further jobs of one token that may wait (env CITYREACH_JOBS_QUEUED_PER_TOKEN)")
	fs.IntVar(&q.JobsQueue, "jobs-queue", q.JobsQueue, "jobs waiting or running over all tokens (env CITYREACH_JOBS_QUEUE)")
	fs.IntVar(&q.ImportsPerToken, "imports-per-token", q.ImportsPerToken, "background imports of one token at once (env CITYREACH_IMPORTS_PER_TOKEN)")
	fs.IntVar(&q.Imports, "imports-max", q.Imports, "background imports over all tokens (env CITYREACH_IMPORTS_MAX)")
	fs.IntVar(&q.HeavyPerCaller, "heavy-per-caller", q.HeavyPerCaller, "computations (indicators, sites, comparisons, checks) one caller may have running or waiting; beyond: 429 (env CITYREACH_HEAVY_PER_CALLER)")
	fs.IntVar(&q.HeavySlots, "heavy-slots", q.HeavySlots, "computations the server runs at once; more wait up to a minute, then 503 (env CITYREACH_HEAVY_SLOTS)")
	fs.Int64Var(&c.ImportExpandedBytes, "import-expanded-bytes", c.ImportExpandedBytes, "largest uncompressed size of a zipped upload; 0 = 20 × max-body-bytes, at most 1 GiB (env CITYREACH_IMPORT_EXPANDED_BYTES)")
	fs.IntVar(&c.ImportMaxFeatures, "import-max-features", c.ImportMaxFeatures, "most features in one API import; 0 = 2000000 (env CITYREACH_IMPORT_MAX_FEATURES)")
	fs.DurationVar(&c.ImportTimeout, "import-timeout", c.ImportTimeout, "longest API import; 0 = 10m (env CITYREACH_IMPORT_TIMEOUT)")
	fs.Func("replica-url", "a streaming replica of the database for read-only work; repeat for several (env CITYREACH_REPLICA_URLS, comma-separated)", func(s string) error {
		if !replicaFlagSeen {
			c.ReplicaURLs, replicaFlagSeen = nil, true // the flags replace the environment's list
		}
		c.ReplicaURLs = append(c.ReplicaURLs, s)
		return nil
	})
	fs.DurationVar(&c.ReplicaMaxLag, "replica-max-lag", c.ReplicaMaxLag, "drop a replica further behind the primary than this (env CITYREACH_REPLICA_MAX_LAG)")
	fs.DurationVar(&c.ReplicaWait, "replica-wait", c.ReplicaWait, "how long a read waits for a replica to replay the client's last write before using the primary (env CITYREACH_REPLICA_WAIT)")
	fs.Func("cors-origins", "comma-separated origins allowed to call the API from a browser, or * (env CITYREACH_CORS_ORIGINS; default none)", func(s string) error {
		c.CORSOrigins = splitList(s)
		return nil
	})
}

// FromEnv overrides c with the environment variables that are set. A malformed value is an
// error naming the variable.
func (c *Config) FromEnv(getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("DATABASE_URL", &c.DatabaseURL)
	str("CITYREACH_LISTEN", &c.Listen)
	str("CITYREACH_LOG_LEVEL", &c.LogLevel)
	str("CITYREACH_LOG_FORMAT", &c.LogFormat)
	str("CITYREACH_CITY", &c.City)
	str("CITYREACH_METRICS_ACCESS", &c.MetricsAccess)
	if v := getenv("CITYREACH_CORS_ORIGINS"); v != "" {
		c.CORSOrigins = splitList(v)
	}
	if v := getenv("CITYREACH_REPLICA_URLS"); v != "" {
		c.ReplicaURLs = splitList(v)
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"CITYREACH_REPLICA_MAX_LAG", &c.ReplicaMaxLag}, {"CITYREACH_REPLICA_WAIT", &c.ReplicaWait}} {
		if v := getenv(d.name); v != "" {
			v, err := time.ParseDuration(v)
			if err != nil || v <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q is not a positive duration such as 2s", d.name, getenv(d.name)))
			}
			*d.dst = v
		}
	}
	if v := getenv("CITYREACH_DB_MAX_CONNS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			errs = append(errs, fmt.Errorf("CITYREACH_DB_MAX_CONNS=%q is not a whole number", v))
		}
		c.DBMaxConns = int32(n)
	}
	if v := getenv("CITYREACH_STATEMENT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CITYREACH_STATEMENT_TIMEOUT=%q is not a duration such as 30s", v))
		}
		c.StatementTimeout = d
	}
	if v := getenv("CITYREACH_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("CITYREACH_MAX_BODY_BYTES=%q is not a whole number of bytes", v))
		}
		c.MaxBodyBytes = n
	}
	for _, q := range []struct {
		name string
		dst  *int
	}{
		{"CITYREACH_JOBS_RUNNING_PER_TOKEN", &c.Quotas.JobsRunningPerToken},
		{"CITYREACH_JOBS_QUEUED_PER_TOKEN", &c.Quotas.JobsQueuedPerToken},
		{"CITYREACH_JOBS_QUEUE", &c.Quotas.JobsQueue},
		{"CITYREACH_IMPORTS_PER_TOKEN", &c.Quotas.ImportsPerToken},
		{"CITYREACH_IMPORTS_MAX", &c.Quotas.Imports},
		{"CITYREACH_HEAVY_PER_CALLER", &c.Quotas.HeavyPerCaller},
		{"CITYREACH_HEAVY_SLOTS", &c.Quotas.HeavySlots},
	} {
		if v := getenv(q.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not a whole number", q.name, v))
			}
			*q.dst = n
		}
	}
	if v := getenv("CITYREACH_IMPORT_EXPANDED_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("CITYREACH_IMPORT_EXPANDED_BYTES=%q is not a whole number of bytes", v))
		}
		c.ImportExpandedBytes = n
	}
	if v := getenv("CITYREACH_IMPORT_MAX_FEATURES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("CITYREACH_IMPORT_MAX_FEATURES=%q is not a whole number", v))
		}
		c.ImportMaxFeatures = n
	}
	if v := getenv("CITYREACH_IMPORT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("CITYREACH_IMPORT_TIMEOUT=%q is not a duration such as 10m", v))
		}
		c.ImportTimeout = d
	}
	if v := getenv("CITYREACH_ANONYMOUS_READ"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CITYREACH_ANONYMOUS_READ=%q is not true or false", v))
		}
		c.AnonymousRead = b
	}
	return errors.Join(errs...)
}

// Validate reports every problem of c at once. needDB says whether the command talks to
// the database.
func (c *Config) Validate(needDB bool) error {
	var errs []error
	if needDB {
		if c.DatabaseURL == "" {
			errs = append(errs, errors.New("no database: set DATABASE_URL (for example postgres://postgres@127.0.0.1:5432/cityreach) or pass --database-url; `make run` provisions one for you"))
		} else if strings.Contains(c.DatabaseURL, "://") {
			u, err := url.Parse(c.DatabaseURL)
			if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
				errs = append(errs, errors.New("DATABASE_URL must start with postgres:// or postgresql://"))
			}
		}
	}
	for _, r := range c.ReplicaURLs {
		if !strings.HasPrefix(r, "postgres://") && !strings.HasPrefix(r, "postgresql://") {
			errs = append(errs, fmt.Errorf("replica URL %q must start with postgres:// or postgresql://", r))
		}
	}
	if len(c.ReplicaURLs) > 0 && (c.ReplicaMaxLag < 100*time.Millisecond || c.ReplicaWait < 0) {
		errs = append(errs, fmt.Errorf("replica max lag %s must be at least 100ms and replica wait %s not negative", c.ReplicaMaxLag, c.ReplicaWait))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen address %q must be host:port, for example :8080 or 127.0.0.1:8080", c.Listen))
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log format %q must be text or json", c.LogFormat))
	}
	if c.DBMaxConns < 1 || c.DBMaxConns > 1000 {
		errs = append(errs, fmt.Errorf("database pool size %d must be between 1 and 1000", c.DBMaxConns))
	}
	if c.StatementTimeout < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("statement timeout %s is too short (at least 100ms)", c.StatementTimeout))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("max body bytes %d is too small (at least 1024)", c.MaxBodyBytes))
	}
	switch c.MetricsAccess {
	case "public", "anonymous-read", "viewer", "admin":
	default:
		errs = append(errs, fmt.Errorf("metrics access %q must be public, anonymous-read, viewer or admin", c.MetricsAccess))
	}
	for _, o := range c.CORSOrigins {
		if _, err := Origin(o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, c.Quotas.validate()...)...)
}

// validate reports each quota out of range; a quota of one token above the server's is
// refused too, since it could never be used.
func (q Quotas) validate() []error {
	var errs []error
	between := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			errs = append(errs, fmt.Errorf("%s %d must be between %d and %d", name, v, lo, hi))
		}
	}
	between("jobs running per token", q.JobsRunningPerToken, 1, 1000)
	between("jobs queued per token", q.JobsQueuedPerToken, 0, 10000)
	between("job queue", q.JobsQueue, 1, 100000)
	between("background imports per token", q.ImportsPerToken, 1, 1000)
	between("background imports", q.Imports, 1, 1000)
	between("computations per caller", q.HeavyPerCaller, 1, 1000)
	between("computations", q.HeavySlots, 1, 1000)
	if q.JobsQueue < q.JobsRunningPerToken+q.JobsQueuedPerToken {
		errs = append(errs, fmt.Errorf("job queue %d is smaller than what one token may have (%d running + %d queued)", q.JobsQueue, q.JobsRunningPerToken, q.JobsQueuedPerToken))
	}
	if q.Imports < q.ImportsPerToken {
		errs = append(errs, fmt.Errorf("background imports %d is smaller than one token's %d", q.Imports, q.ImportsPerToken))
	}
	return errs
}

// Origin checks one CORS origin and returns it normalised (scheme and host in lower case,
// no trailing slash): scheme://host[:port] with scheme http or https, or "*" for any.
func Origin(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "*" {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("CORS origin %q must be scheme://host[:port], for example https://planning.example.cn, or *", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// splitList splits a comma-separated list, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseLevel maps a level name to slog's level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q must be debug, info, warn or error", s)
}

// Logger builds the process logger, which writes to stderr.
func (c *Config) Logger() *slog.Logger { return c.LoggerTo(os.Stderr) }

// LoggerTo builds a logger writing to w at the configured level, one record a line: JSON
// objects when the format is json, slog's key=value text otherwise.
func (c *Config) LoggerTo(w io.Writer) *slog.Logger {
	lvl, _ := ParseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
