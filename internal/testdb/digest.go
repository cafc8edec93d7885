package testdb

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// Digest is a fingerprint of the database for a test that proves a refused request changed
// nothing: for each of tables (quoted identifiers, each with an id column) its row count and
// the md5 of its rows in id order, then the row count of each of counted. Two digests are
// equal when none of those rows changed.
func (db *DB) Digest(t testing.TB, tables []string, counted ...string) string {
	t.Helper()
	ctx := context.Background()
	parts := make([]string, 0, len(tables)+len(counted))
	for _, tb := range tables {
		var s string
		if err := db.Pool.QueryRow(ctx,
			`SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY id)), '') FROM `+tb+` t`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, tb+"="+s)
	}
	for _, tb := range counted {
		var n int64
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, tb+"#"+strconv.FormatInt(n, 10))
	}
	return strings.Join(parts, ";")
}

// Response is a recorded response of a handler test.
type Response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as a JSON object, numbers as json.Number; a body that is not one
// fails the test.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %v: %.500s", r.Code, err, r.Body)
	}
	return m
}

// Serve sends req to h with the header name/value pairs hdr set and returns the recorded
// response.
func Serve(h http.Handler, req *http.Request, hdr ...string) Response {
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return Response{Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}
