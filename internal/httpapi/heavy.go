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
// indicators that may compute a run, sites, comparisons, the checks, the walking network).
// Identical requests in flight together (the same method and URI) count once, as they share
// one computation: one caller (a token, or an anonymous client's address) may have at most
// PerCaller different ones in flight and gets 429 beyond; the server runs at most Slots
// different ones at once, and a request that finds every slot taken waits up to Wait for
// one, then gets 503. Both refusals carry Retry-After.
type HeavyLimits struct {
	Slots, PerCaller int
	Wait             time.Duration
}

// DefaultHeavyLimits: eight different computations at once on the server, the rest queued
// for up to a minute (the web map asks for about nine figures as it opens); sixteen
// different ones in flight per caller, so that a page never meets the limit and a flood
// of requests does.
var DefaultHeavyLimits = HeavyLimits{Slots: 8, PerCaller: 16, Wait: time.Minute}

// heavyGate enforces HeavyLimits; one per engine.
type heavyGate struct {
	lim   HeavyLimits
	slots chan struct{}
	mu    sync.Mutex
	// inflight holds each request key's share of a slot; byCaller the distinct keys each
	// caller has in flight.
	inflight map[string]*heavyShare
	byCaller map[string]map[string]int
}

// heavyShare is one slot shared by the identical requests in flight: ready closes when the
// first of them holds the slot (ok) or gave up waiting (!ok).
type heavyShare struct {
	users int
	ready chan struct{}
	ok    bool
}

func newHeavyGate(lim HeavyLimits) *heavyGate {
	if lim.Slots <= 0 {
		lim = DefaultHeavyLimits
	}
	return &heavyGate{lim: lim, slots: make(chan struct{}, lim.Slots), inflight: map[string]*heavyShare{}, byCaller: map[string]map[string]int{}}
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
		who, key := caller(c), c.Request.Method+" "+c.Request.URL.RequestURI()
		g.mu.Lock()
		mine := g.byCaller[who]
		if mine[key] == 0 && len(mine) >= g.lim.PerCaller {
			g.mu.Unlock()
			c.Header("Retry-After", retry)
			problem.Write(c, http.StatusTooManyRequests, fmt.Sprintf("you have %d different computations in flight, the most one caller may have; try again when one has answered", g.lim.PerCaller),
				map[string]any{"limit": g.lim.PerCaller})
			return
		}
		if mine == nil {
			mine = map[string]int{}
			g.byCaller[who] = mine
		}
		mine[key]++
		sh := g.inflight[key]
		leader := sh == nil
		if leader {
			sh = &heavyShare{ready: make(chan struct{})}
			g.inflight[key] = sh
		}
		sh.users++
		g.mu.Unlock()
		defer g.leave(who, key, sh)

		if leader {
			t := time.NewTimer(g.lim.Wait)
			select {
			case g.slots <- struct{}{}:
				sh.ok = true
			case <-t.C:
			case <-c.Request.Context().Done():
			}
			t.Stop()
			close(sh.ready)
		} else {
			<-sh.ready
		}
		if !sh.ok {
			if c.Request.Context().Err() != nil {
				c.Abort()
				return
			}
			c.Header("Retry-After", retry)
			problem.Write(c, http.StatusServiceUnavailable, fmt.Sprintf("the server is running %d computations, its limit, and none ended within %s; try again shortly", g.lim.Slots, g.lim.Wait),
				map[string]any{"limit": g.lim.Slots})
			return
		}
		c.Next()
	}
}

// leave ends one request's share: the last of a key's requests frees the slot.
func (g *heavyGate) leave(who, key string, sh *heavyShare) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if mine := g.byCaller[who]; mine != nil {
		if mine[key]--; mine[key] == 0 {
			delete(mine, key)
		}
		if len(mine) == 0 {
			delete(g.byCaller, who)
		}
	}
	if sh.users--; sh.users == 0 {
		if g.inflight[key] == sh {
			delete(g.inflight, key)
		}
		if sh.ok {
			<-g.slots
		}
	}
}
