package walk_test

import (
	"log/slog"
	"net/http"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walk/walkhttp"
)

func init() {
	quiet := slog.New(slog.DiscardHandler)
	walk.AdapterEngine = func(svc *walk.Service) http.Handler {
		return httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: quiet, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, walkhttp.Handler{Svc: svc, Log: quiet}))
	}
	walk.AdapterCommunityTiles = func(svc *walk.Service) tiles.Source { return &walkhttp.CommunityTiles{Service: svc} }
}
