package httpapi

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// compressedTypes are the media types answered compressed when the client accepts it:
// JSON and GeoJSON documents, problems, OpenAPI, HTML pages and CSV exports. Vector tiles
// and the web UI's assets are absent: their handlers store them gzipped and set
// Content-Encoding themselves, which this wrapper leaves untouched.
var compressedTypes = []string{
	"application/json", "application/geo+json", "application/problem+json",
	"application/schema+json", "application/vnd.oai.openapi+json",
	"text/html", "text/csv", "text/plain",
}

// minCompressSize is the smallest answer worth compressing: below about 1 kB the gzip
// header and the CPU cost outweigh what is saved.
const minCompressSize = 1024

// Compress wraps h so that answers of compressedTypes above minCompressSize are sent with
// zstd or gzip, whichever the client's Accept-Encoding prefers (zstd on a tie), streamed as
// they are written, with "Vary: Accept-Encoding". It uses klauspost/compress's gzhttp,
// the same library the tile cache already compresses with. An ETag is passed on unchanged:
// it names the feature's version for If-Match, whatever the transfer's encoding.
func Compress(h http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(minCompressSize),
		gzhttp.ContentTypes(compressedTypes),
		gzhttp.CompressionLevel(5),
	)
	if err != nil {
		return nil, err
	}
	return wrap(h), nil
}
