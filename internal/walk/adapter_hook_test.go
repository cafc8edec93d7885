package walk_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/ogcapi"
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
	walk.AdapterParcels = func(t testing.TB, svc *walk.Service) http.Handler {
		ctx := context.Background()
		store, err := featureapi.NewStore(ctx, svc.Store.Pool, layers.Default())
		if err != nil {
			t.Fatal(err)
		}
		ogc, err := ogcapi.New(ctx, svc.Store.Pool, store, layers.Default(), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if err := ogc.Catalog.Register(walkhttp.ParcelCollection{Service: svc}); err != nil {
			t.Fatal(err)
		}
		return httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: quiet, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, walkhttp.Handler{Svc: svc, Log: quiet}, ogc))
	}
}
