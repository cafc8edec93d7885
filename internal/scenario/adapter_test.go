package scenario

import "github.com/cityreach/cityreach/internal/httpapi"

// AdapterHandler is scenariohttp.Handler over svc. The adapter package imports this one, so
// this package's tests cannot import it; adapter_hook_test.go, of package scenario_test and
// compiled into the same test binary, sets it before any test runs.
var AdapterHandler func(svc *Service) httpapi.Mounter
