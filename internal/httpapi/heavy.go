package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/problem"
)

// HeavyLimits bound the routes whose one request may compute for seconds (Route.Heavy:
// indicators that may compute a run, sites, comparisons, the checks, the walking network):
// each caller (a token, or an anonymous client's address) may have at most PerCaller of
// them running or waiting and gets 429 beyond; the server runs at most Slots at once, and a
// request that finds every slot taken waits up to Wait for one, then gets 503. Both carry
// Retry-After.
type HeavyLimits struct {
	Slots, PerCaller int
	Wait             time.Duration
}

// DefaultHeavyLimits: eight computations at once on the server, the rest queued for up to a
// minute (the web map asks for about nine figures as it opens, and concurrent identical
// ones share one computation); one caller may have sixteen running or queued, so that a
// page never meets the limit and a flood of requests does.
var DefaultHeavyLimits = HeavyLimits{Slots: 8, PerCaller: 16, Wait: time.Minute}

// heavyGate enforces HeavyLimits; one per engine.
type heavyGate struct {
	lim   HeavyLimits
	slots chan struct{}
	mu    sync.Mutex
	by    map[string]int
}

func newHeavyGate(lim HeavyLimits) *heavyGate {
	if lim.Slots <= 0 {
		lim = DefaultHeavyLimits
	}
	return &heavyGate{lim: lim, slots: make(chan struct{}, lim.Slots), by: map[string]int{}}
}

// caller is whom a heavy request counts against: its token, or its address when anonymous.
func caller(c *gin.Context) string {
	if p := auth.FromContext(c); !p.Anonymous() {
		return "token:" + p.Name
	}
	return "addr:" + c.ClientIP()
}

func (g *heavyGate) handler() gin.HandlerFunc {
	retry := strconv.Itoa(max(1, int(g.lim.Wait.Seconds())))
	return func(c *gin.Context) {
		who := caller(c)
		g.mu.Lock()
		if g.by[who] >= g.lim.PerCaller {
			g.mu.Unlock()
			c.Header("Retry-After", retry)
			problem.Write(c, http.StatusTooManyRequests, fmt.Sprintf("you have %d computations running, the most one caller may run at once; try again when one has answered", g.lim.PerCaller),
				map[string]any{"limit": g.lim.PerCaller})
			return
		}
		g.by[who]++
		g.mu.Unlock()
		defer func() {
			g.mu.Lock()
			if g.by[who]--; g.by[who] == 0 {
				delete(g.by, who)
			}
			g.mu.Unlock()
		}()
		t := time.NewTimer(g.lim.Wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			c.Header("Retry-After", retry)
			problem.Write(c, http.StatusServiceUnavailable, fmt.Sprintf("the server is running %d computations, its limit, and none ended within %s; try again shortly", g.lim.Slots, g.lim.Wait),
				map[string]any{"limit": g.lim.Slots})
			return
		case <-c.Request.Context().Done():
			c.Abort()
			return
		}
		defer func() { <-g.slots }()
		c.Next()
	}
}
