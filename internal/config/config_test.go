package config

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestFromEnvAndValidate(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL":                "postgres://u@h:5432/d",
		"CITYREACH_LISTEN":            "127.0.0.1:9090",
		"CITYREACH_STATEMENT_TIMEOUT": "5s",
		"CITYREACH_DB_MAX_CONNS":      "3",
		"CITYREACH_ANONYMOUS_READ":    "false",
	}
	c := Defaults()
	if err := c.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != env["DATABASE_URL"] || c.Listen != "127.0.0.1:9090" || c.StatementTimeout != 5*time.Second || c.DBMaxConns != 3 || c.AnonymousRead {
		t.Fatalf("env not applied: %+v", c)
	}
	if err := c.Validate(true); err != nil {
		t.Fatal(err)
	}
}

func TestValidateSaysEveryProblem(t *testing.T) {
	c := Defaults()
	c.Listen = "8080"
	c.LogLevel = "loud"
	c.DBMaxConns = 0
	c.StatementTimeout = time.Millisecond
	c.DatabaseURL = "mysql://x"
	err := c.Validate(true)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"host:port", "log level", "pool size", "statement timeout", "postgres://"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	c = Defaults()
	if err := c.Validate(true); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("missing database not explained: %v", err)
	}
	if err := c.Validate(false); err != nil {
		t.Errorf("commands without a database must not need one: %v", err)
	}
}

func TestQuotas(t *testing.T) {
	c := Defaults()
	if q := c.Quotas; q.JobsRunningPerToken != 2 || q.JobsQueuedPerToken != 4 || q.JobsQueue != 32 || q.ImportsPerToken != 2 || q.Imports != 4 {
		t.Fatalf("defaults: %+v", q)
	}
	env := map[string]string{"CITYREACH_JOBS_RUNNING_PER_TOKEN": "1", "CITYREACH_JOBS_QUEUED_PER_TOKEN": "0",
		"CITYREACH_JOBS_QUEUE": "5", "CITYREACH_IMPORTS_PER_TOKEN": "3", "CITYREACH_IMPORTS_MAX": "9",
		"CITYREACH_HEAVY_PER_CALLER": "3", "CITYREACH_HEAVY_SLOTS": "2"}
	if err := c.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if (c.Quotas != Quotas{JobsRunningPerToken: 1, JobsQueuedPerToken: 0, JobsQueue: 5, ImportsPerToken: 3, Imports: 9, HeavyPerCaller: 3, HeavySlots: 2}) {
		t.Fatalf("env not applied: %+v", c.Quotas)
	}
	if err := c.Validate(false); err != nil {
		t.Fatal(err)
	}
	c.Quotas = Quotas{JobsRunningPerToken: 0, JobsQueuedPerToken: 20000, JobsQueue: 3, ImportsPerToken: 5, Imports: 2}
	err := c.Validate(false)
	for _, want := range []string{"jobs running per token 0", "jobs queued per token 20000", "job queue 3 is smaller", "background imports 2 is smaller"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	c = Defaults()
	if err := c.FromEnv(func(k string) string { return map[string]string{"CITYREACH_JOBS_QUEUE": "lots"}[k] }); err == nil || !strings.Contains(err.Error(), "CITYREACH_JOBS_QUEUE") {
		t.Errorf("malformed quota: %v", err)
	}
}

func TestFromEnvRejectsMalformed(t *testing.T) {
	c := Defaults()
	err := c.FromEnv(func(k string) string {
		return map[string]string{"CITYREACH_DB_MAX_CONNS": "many", "CITYREACH_STATEMENT_TIMEOUT": "soon"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "CITYREACH_DB_MAX_CONNS") || !strings.Contains(err.Error(), "CITYREACH_STATEMENT_TIMEOUT") {
		t.Fatalf("%v", err)
	}
}

func TestCORSOrigins(t *testing.T) {
	c := Defaults()
	if len(c.CORSOrigins) != 0 {
		t.Fatalf("default origins %v, want none", c.CORSOrigins)
	}
	env := map[string]string{"CITYREACH_CORS_ORIGINS": " https://Planning.example.cn , http://localhost:5173,,"}
	if err := c.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.CORSOrigins, "|") != "https://Planning.example.cn|http://localhost:5173" {
		t.Fatalf("origins %q", c.CORSOrigins)
	}
	// The flag wins over the environment.
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.Register(fs)
	if err := fs.Parse([]string{"--cors-origins", "*"}); err != nil || strings.Join(c.CORSOrigins, "|") != "*" {
		t.Fatalf("flag: %v %q", err, c.CORSOrigins)
	}
	for in, want := range map[string]string{"https://Planning.Example.cn/": "https://planning.example.cn", "http://localhost:5173": "http://localhost:5173", "*": "*"} {
		if got, err := Origin(in); err != nil || got != want {
			t.Errorf("Origin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	c.CORSOrigins = []string{"planning.example.cn", "https://a.example/app", "ftp://a.example", "https://u:p@a.example"}
	err := c.Validate(false)
	for _, bad := range c.CORSOrigins {
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("origin %q not reported: %v", bad, err)
		}
	}
}

// TestReplicaURLs: the environment's comma-separated list, replaced (not extended) by
// repeated --replica-url flags; a non-postgres URL and a bad duration are explained.
func TestReplicaURLs(t *testing.T) {
	env := map[string]string{"CITYREACH_REPLICA_URLS": "postgres://a:5433/d, postgres://b:5433/d", "CITYREACH_REPLICA_WAIT": "250ms"}
	c := Defaults()
	if err := c.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.ReplicaURLs, " ") != "postgres://a:5433/d postgres://b:5433/d" || c.ReplicaWait != 250*time.Millisecond || c.ReplicaMaxLag != 5*time.Second {
		t.Fatalf("env: %q wait %s lag %s", c.ReplicaURLs, c.ReplicaWait, c.ReplicaMaxLag)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Register(fs)
	if err := fs.Parse([]string{"--replica-url", "postgres://c:5433/d", "--replica-url", "postgresql://e/d", "--replica-max-lag", "2s"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.ReplicaURLs, " ") != "postgres://c:5433/d postgresql://e/d" || c.ReplicaMaxLag != 2*time.Second {
		t.Fatalf("flags: %q lag %s", c.ReplicaURLs, c.ReplicaMaxLag)
	}
	c.DatabaseURL = "postgres://p/d"
	if err := c.Validate(true); err != nil {
		t.Fatal(err)
	}
	c.ReplicaURLs = []string{"mysql://x"}
	if err := c.Validate(true); err == nil || !strings.Contains(err.Error(), "replica URL") {
		t.Errorf("bad replica URL not explained: %v", err)
	}
	env = map[string]string{"CITYREACH_REPLICA_MAX_LAG": "soon"}
	if err := c.FromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "CITYREACH_REPLICA_MAX_LAG") {
		t.Errorf("bad duration not explained: %v", err)
	}
}

// TestLogFormat: the environment sets the format, the flag wins over it, anything but text
// or json is refused by name, and the logger writes a JSON object in json mode and
// key=value text otherwise.
func TestLogFormat(t *testing.T) {
	c := Defaults()
	if c.LogFormat != "text" {
		t.Fatalf("default format %q, want text", c.LogFormat)
	}
	if err := c.FromEnv(func(k string) string { return map[string]string{"CITYREACH_LOG_FORMAT": "json"}[k] }); err != nil || c.LogFormat != "json" {
		t.Fatalf("env: %v %q", err, c.LogFormat)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.Register(fs)
	if err := fs.Parse([]string{"--log-format", "text"}); err != nil || c.LogFormat != "text" {
		t.Fatalf("flag: %v %q", err, c.LogFormat)
	}
	c.LogFormat = "xml"
	if err := c.Validate(false); err == nil || !strings.Contains(err.Error(), `log format "xml" must be text or json`) {
		t.Errorf("bad format: %v", err)
	}
	var b strings.Builder
	c.LogFormat = "text"
	c.LoggerTo(&b).Info("hello", "n", 3)
	if !strings.HasPrefix(b.String(), "time=") || !strings.HasSuffix(b.String(), " level=INFO msg=hello n=3\n") {
		t.Errorf("text record %q", b.String())
	}
	b.Reset()
	c.LogFormat = "json"
	var rec struct {
		Level, Msg string
		N          int
	}
	c.LoggerTo(&b).Info("hello", "n", 3)
	if err := json.Unmarshal([]byte(b.String()), &rec); err != nil || rec.Level != "INFO" || rec.Msg != "hello" || rec.N != 3 {
		t.Errorf("json record %q: %v %+v", b.String(), err, rec)
	}
}
