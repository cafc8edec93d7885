package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestOGCPageOnTheWire: an OGC API items page of 1,000 parcels from the server as `cityreach
// serve` builds it is at most a quarter of its plain size on the wire with gzip and with
// zstd, and decodes to the very bytes of the plain answer (issue "Run it like a service").
func TestOGCPageOnTheWire(t *testing.T) {
	stamp := regexp.MustCompile(`"timeStamp":"[^"]*"`)
	_, h := demoServer(t)
	const path = "/ogc/collections/residential_land/items?limit=1000"
	get := func(enc string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%s (%s): %d %.200s", path, enc, rec.Code, rec.Body.String())
		}
		return rec
	}
	plain := get("").Body.Bytes()
	var page struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(plain, &page); err != nil || len(page.Features) != 1000 {
		t.Fatalf("the plain page: %d features, %v", len(page.Features), err)
	}
	for _, enc := range []string{"gzip", "zstd"} {
		rec := get(enc)
		if got := rec.Header().Get("Content-Encoding"); got != enc {
			t.Fatalf("%s: Content-Encoding %q", enc, got)
		}
		var r io.Reader
		var err error
		if enc == "gzip" {
			r, err = gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
		} else {
			var zr *zstd.Decoder
			zr, err = zstd.NewReader(bytes.NewReader(rec.Body.Bytes()))
			if zr != nil {
				defer zr.Close()
			}
			r = zr
		}
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := io.ReadAll(r)
		// The pages were answered apart in time: their timeStamp members (RFC 3339, to the
		// second) may differ, and only they.
		if err != nil || !bytes.Equal(stamp.ReplaceAll(decoded, nil), stamp.ReplaceAll(plain, nil)) {
			t.Fatalf("%s: the decoded answer differs from the plain one (%d vs %d bytes, %v)", enc, len(decoded), len(plain), err)
		}
		if wire := rec.Body.Len(); 4*wire > len(plain) {
			t.Errorf("%s: %d bytes on the wire for %d plain, more than a quarter", enc, wire, len(plain))
		} else {
			t.Logf("%s: %d bytes on the wire for %d plain (%.1f %%)", enc, wire, len(plain), 100*float64(wire)/float64(len(plain)))
		}
	}
}
