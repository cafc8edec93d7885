package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/problem"
)

// Process is one process clients can execute.
type Process struct {
	ID          string
	Title       string
	Description string
	// Inputs describes the inputs for GET /processes/{id} (name → description).
	Inputs map[string]any
	// Prepare validates the inputs of an execute request with the request's context and
	// returns the normalized inputs and the task to run; its errors are problems (400, 404).
	Prepare func(ctx context.Context, inputs json.RawMessage) (normalized any, task Task, err error)
	// MediaType names the type of a result file.
	MediaType func(name string) string
}

// Handler serves the processes and jobs endpoints.
type Handler struct {
	Runner    *Runner
	Processes []Process
	Log       *slog.Logger
}

const base = "/api/v1"

// Mount registers
//
//	GET    /api/v1/processes                      the processes
//	GET    /api/v1/processes/{id}                 one process and its inputs
//	POST   /api/v1/processes/{id}/execution       {"inputs": {...}} → 201, Location /api/v1/jobs/{jobID}
//	GET    /api/v1/jobs                           every job, newest first
//	GET    /api/v1/jobs/{id}                      status and progress
//	GET    /api/v1/jobs/{id}/results              the result files with their links
//	GET    /api/v1/jobs/{id}/results/{file}       one result file
//	DELETE /api/v1/jobs/{id}                      cancel (its partial files are removed) or dismiss
func (h Handler) Mount(r *gin.Engine) {
	none := problem.Params() // no route here takes a query parameter
	r.GET(base+"/processes", none, h.listProcesses)
	r.GET(base+"/processes/:process", none, h.process)
	r.POST(base+"/processes/:process/execution", none, h.execute)
	r.GET(base+"/jobs", none, h.listJobs)
	r.GET(base+"/jobs/:job", none, h.status)
	r.GET(base+"/jobs/:job/results", none, h.results)
	r.GET(base+"/jobs/:job/results/:file", none, h.file)
	r.DELETE(base+"/jobs/:job", none, h.dismiss)
}

func (h Handler) find(id string) (Process, bool) {
	for _, p := range h.Processes {
		if p.ID == id {
			return p, true
		}
	}
	return Process{}, false
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

func (h Handler) summary(p Process) gin.H {
	return gin.H{"id": p.ID, "title": p.Title, "description": p.Description, "version": "1.0.0",
		"jobControlOptions": []string{"async-execute", "dismiss"}, "outputTransmission": []string{"reference"},
		"links": []link{{Href: base + "/processes/" + p.ID, Rel: "self", Type: "application/json"},
			{Href: base + "/processes/" + p.ID + "/execution", Rel: "http://www.opengis.net/def/rel/ogc/1.0/execute", Type: "application/json"}}}
}

func (h Handler) listProcesses(c *gin.Context) {
	ps := make([]gin.H, 0, len(h.Processes))
	for _, p := range h.Processes {
		ps = append(ps, h.summary(p))
	}
	c.JSON(http.StatusOK, gin.H{"processes": ps, "links": []link{{Href: base + "/processes", Rel: "self", Type: "application/json"}}})
}

func (h Handler) process(c *gin.Context) {
	p, ok := h.find(c.Param("process"))
	if !ok {
		problem.Respond(c, h.Log, problem.NotFound(fmt.Sprintf("no process %q", c.Param("process"))))
		return
	}
	d := h.summary(p)
	d["inputs"] = p.Inputs
	c.JSON(http.StatusOK, d)
}

// execute starts a job. The job runs on the runner's (server's) context: nothing about this
// request, including its cancellation when the client leaves, reaches the job.
func (h Handler) execute(c *gin.Context) {
	p, ok := h.find(c.Param("process"))
	if !ok {
		problem.Respond(c, h.Log, problem.NotFound(fmt.Sprintf("no process %q", c.Param("process"))))
		return
	}
	var body struct {
		Inputs json.RawMessage `json:"inputs"`
	}
	raw, perr := problem.ReadJSON(c.Request.Body, 1<<20)
	if perr != nil {
		problem.Respond(c, h.Log, perr)
		return
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &body); err != nil {
			problem.Respond(c, h.Log, problem.BadRequest("the body must be a JSON execute request: {\"inputs\": {...}}"))
			return
		}
	}
	if len(body.Inputs) == 0 {
		body.Inputs = json.RawMessage("{}")
	}
	inputs, task, err := p.Prepare(c.Request.Context(), body.Inputs)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	j, err := h.Runner.Start(p.ID, inputs, task, p.MediaType)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	loc := base + "/jobs/" + j.ID
	c.Header("Location", loc)
	c.JSON(http.StatusCreated, statusInfo(j))
}

// statusInfo is the OGC statusInfo document of j with its links.
func statusInfo(j Job) gin.H {
	self := base + "/jobs/" + j.ID
	links := []link{{Href: self, Rel: "self", Type: "application/json", Title: "status"}}
	if j.Status == Successful {
		links = append(links, link{Href: self + "/results", Rel: "http://www.opengis.net/def/rel/ogc/1.0/results", Type: "application/json", Title: "results"})
	}
	d := gin.H{"jobID": j.ID, "processID": j.Process, "type": j.Type, "status": j.Status, "message": j.Message,
		"progress": j.Progress, "created": j.Created.Format(time.RFC3339), "updated": j.Updated.Format(time.RFC3339), "links": links}
	if j.Started != nil {
		d["started"] = j.Started.Format(time.RFC3339)
	}
	if j.Finished != nil {
		d["finished"] = j.Finished.Format(time.RFC3339)
	}
	if j.Inputs != nil {
		d["inputs"] = j.Inputs
	}
	return d
}

func (h Handler) job(c *gin.Context) (Job, bool) {
	j, err := h.Runner.Get(c.Param("job"))
	if errors.Is(err, ErrNotFound) {
		problem.Respond(c, h.Log, problem.NotFound(fmt.Sprintf("no job %q", c.Param("job"))).
			With("type", "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job"))
		return j, false
	}
	return j, err == nil
}

func (h Handler) listJobs(c *gin.Context) {
	js := h.Runner.List()
	out := make([]gin.H, 0, len(js))
	for _, j := range js {
		out = append(out, statusInfo(j))
	}
	c.JSON(http.StatusOK, gin.H{"jobs": out, "links": []link{{Href: base + "/jobs", Rel: "self", Type: "application/json"}}})
}

func (h Handler) status(c *gin.Context) {
	if j, ok := h.job(c); ok {
		c.JSON(http.StatusOK, statusInfo(j))
	}
}

func (h Handler) results(c *gin.Context) {
	j, ok := h.job(c)
	if !ok {
		return
	}
	if j.Status != Successful {
		problem.Respond(c, h.Log, problem.NotFound(fmt.Sprintf("job %s is %s: no results", j.ID, j.Status)).
			With("status_code", j.Status).With("type", "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/result-not-ready"))
		return
	}
	files := make([]gin.H, 0, len(j.Files))
	for _, f := range j.Files {
		files = append(files, gin.H{"name": f.Name, "type": f.Type, "size": f.Size, "href": base + "/jobs/" + j.ID + "/results/" + f.Name})
	}
	c.JSON(http.StatusOK, gin.H{"jobID": j.ID, "files": files})
}

func (h Handler) file(c *gin.Context) {
	path, f, err := h.Runner.Path(c.Param("job"), c.Param("file"))
	if err != nil {
		problem.Respond(c, h.Log, problem.NotFound(fmt.Sprintf("no result %q of job %q", c.Param("file"), c.Param("job"))))
		return
	}
	fh, err := os.Open(path)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	disp := "attachment"
	if f.Type == "application/pdf" || f.Type == "text/html; charset=utf-8" {
		disp = "inline"
	}
	c.Header("Content-Type", f.Type)
	c.Header("Content-Disposition", disp+`; filename="`+f.Name+`"`)
	// The HTML is self-contained: it needs nothing from anywhere.
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	http.ServeContent(c.Writer, c.Request, f.Name, st.ModTime(), fh)
}

func (h Handler) dismiss(c *gin.Context) {
	j, err := h.Runner.Dismiss(c.Request.Context(), c.Param("job"))
	if errors.Is(err, ErrNotFound) {
		problem.Respond(c, h.Log, problem.NotFound(fmt.Sprintf("no job %q", c.Param("job"))))
		return
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.JSON(http.StatusOK, statusInfo(j))
}
