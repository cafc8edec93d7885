package scenario_test

import (
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/scenario"
	"github.com/cityreach/cityreach/internal/scenario/scenariohttp"
)

func init() {
	scenario.AdapterHandler = func(svc *scenario.Service) httpapi.Mounter { return scenariohttp.Handler{Svc: svc} }
}
