package featureapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cityreach/cityreach/internal/problem"
)

// etag is the strong entity tag of a feature version.
func etag(version int32) string { return `"` + strconv.FormatInt(int64(version), 10) + `"` }

// ifMatch parses an If-Match header into the versions it names. A missing header is 428
// (writes must say which version they change); "*" is refused for the same reason; a
// malformed header is 400. Weak tags never match (RFC 9110 §13.1.1 uses strong comparison),
// so a header of only weak or non-version tags yields an empty list, which the store
// answers with 412.
func ifMatch(h string) ([]int32, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil, problem.New(http.StatusPreconditionRequired,
			"send If-Match with the ETag of the version you read; writes without it are refused so that no edit is lost")
	}
	if h == "*" {
		return nil, problem.New(http.StatusPreconditionRequired, "If-Match: * is not accepted; send the ETag of the version you read")
	}
	if len(h) > 1024 {
		return nil, problem.BadRequest("If-Match is too long")
	}
	var out []int32
	for _, part := range strings.Split(h, ",") {
		tag := strings.TrimSpace(part)
		weak := strings.HasPrefix(tag, "W/")
		tag = strings.TrimPrefix(tag, "W/")
		if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.Contains(tag[1:len(tag)-1], `"`) {
			return nil, problem.BadRequest(`If-Match must list entity tags such as "3", as sent in the ETag header`)
		}
		if weak {
			continue
		}
		n, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 32)
		if err != nil || n < 1 {
			continue
		}
		out = append(out, int32(n))
	}
	if out == nil {
		out = []int32{}
	}
	return out, nil
}
