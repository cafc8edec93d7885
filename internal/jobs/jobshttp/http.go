// Package jobshttp is the HTTP adapter of package jobs: the OGC API – Processes routes that
// list the processes, start a job, and read, dismiss and download it.
package jobshttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/jobs"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/problem"
)

// Handler serves the processes and jobs endpoints.
type Handler struct {
	Jobs *jobs.Service
	Log  *slog.Logger
}

const base = "/api/v1"

// Routes are
//
//	GET    /api/v1/processes                      the processes
//	GET    /api/v1/processes/{id}                 one process and its inputs
//	POST   /api/v1/processes/{id}/execution       {"inputs": {...}} → 201, Location /api/v1/jobs/{jobID}
//	GET    /api/v1/jobs                           the caller's jobs (an admin's: every job), newest first
//	GET    /api/v1/jobs/{id}                      status and progress
//	GET    /api/v1/jobs/{id}/results              the result files with their links
//	GET    /api/v1/jobs/{id}/results/{file}       one result file
//	DELETE /api/v1/jobs/{id}                      cancel (its partial files are removed) or dismiss
//
// Editors start jobs; a job belongs to the token that started it, and only that token or
// an admin sees, downloads or deletes it: anyone else gets the 404 of a job that does not
// exist.
func (h Handler) Routes() []httpapi.Route {
	mine := func(method, path, op, summary string, rs []httpapi.Response, hf gin.HandlerFunc) httpapi.Route {
		access := httpapi.Viewer
		if method != http.MethodGet {
			access = httpapi.Editor
		}
		return httpapi.Route{Method: method, Path: base + path, Access: access, Owner: httpapi.OwnerOrAdminHidden,
			OwnerOf: h.ownerOf, Missing: noSuchJob, Summary: summary, OperationID: op, Responses: rs, Handlers: []gin.HandlerFunc{hf}}
	}
	s, links := httpapi.Str, httpapi.Arr(httpapi.Ref("Link"))
	status := httpapi.Ref("JobStatus")
	return []httpapi.Route{
		{Method: http.MethodGet, Path: base + "/processes", Access: httpapi.AnonymousRead, OperationID: "listProcesses",
			Summary:   "The processes a client can execute.",
			Responses: httpapi.JSON("The processes", httpapi.Obj(httpapi.Schema{"processes": httpapi.Arr(httpapi.Obj(httpapi.Schema{"id": s, "title": s, "version": s}, "id")), "links": links}, "processes")),
			Handlers:  []gin.HandlerFunc{h.listProcesses}},
		{Method: http.MethodGet, Path: base + "/processes/:process", Access: httpapi.AnonymousRead, OperationID: "getProcess",
			Summary:   "One process and its inputs.",
			Responses: httpapi.JSON("The process", httpapi.Obj(httpapi.Schema{"id": s, "title": s, "inputs": httpapi.Obj(nil), "links": links}, "id", "inputs")),
			Handlers:  []gin.HandlerFunc{h.process}},
		{Method: http.MethodPost, Path: base + "/processes/:process/execution", Access: httpapi.Editor, OperationID: "executeProcess",
			Summary:   "Start a job of the process (201 with its Location; 429 beyond the quotas).",
			Body:      &httpapi.Body{Description: "an OGC API – Processes execute request", Schema: httpapi.Obj(httpapi.Schema{"inputs": httpapi.Obj(nil)}, "inputs")},
			Responses: []httpapi.Response{{Status: http.StatusCreated, Description: "The job, started", Type: httpapi.JSONType, Schema: status, Headers: map[string]string{"Location": "the job's URL"}}},
			Problems:  []int{422, 429}, Handlers: []gin.HandlerFunc{h.execute}},
		{Method: http.MethodGet, Path: base + "/jobs", Access: httpapi.Viewer, Owner: httpapi.OwnList, OperationID: "listJobs",
			Summary:   "The caller's jobs, newest first (an admin's: every job).",
			Responses: httpapi.JSON("The jobs", httpapi.Obj(httpapi.Schema{"jobs": httpapi.Arr(status), "links": links}, "jobs")),
			Handlers:  []gin.HandlerFunc{h.listJobs}},
		mine(http.MethodGet, "/jobs/:job", "getJob", "A job's status and progress.", httpapi.JSON("The job", status), h.status),
		mine(http.MethodGet, "/jobs/:job/results", "getJobResults", "A successful job's result files with their links.",
			httpapi.JSON("The files", httpapi.Obj(httpapi.Schema{"jobID": s, "files": httpapi.Arr(httpapi.Obj(httpapi.Schema{"name": s, "type": s, "size": httpapi.Int}, "name"))}, "jobID", "files")), h.results),
		mine(http.MethodGet, "/jobs/:job/results/:file", "getJobResultFile", "One result file of a successful job.",
			[]httpapi.Response{{Status: http.StatusOK, Description: "CSV", Type: "text/csv"}, {Status: http.StatusOK, Description: "GeoJSON", Type: "application/geo+json"},
				{Status: http.StatusOK, Description: "HTML", Type: "text/html"}, {Status: http.StatusOK, Description: "PDF", Type: "application/pdf"},
				{Status: http.StatusOK, Description: "Excel workbook", Type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}}, h.file),
		mine(http.MethodDelete, "/jobs/:job", "dismissJob", "Cancel a job (its partial files are removed) or dismiss a finished one.",
			httpapi.JSON("The job's final status", status), h.dismiss),
	}
}

// ownerOf names the owner of the job of the path.
// Schemas implements httpapi.Components: an OGC API – Processes statusInfo.
func (Handler) Schemas() map[string]httpapi.Schema {
	s := httpapi.Str
	return map[string]httpapi.Schema{"JobStatus": httpapi.Obj(httpapi.Schema{"jobID": s, "processID": s, "type": httpapi.Enum("process"),
		"status": httpapi.Enum(queue.Accepted, queue.Running, queue.Successful, queue.Failed, queue.Dismissed), "message": s, "progress": httpapi.Int,
		"created": s, "started": s, "finished": s, "updated": s, "links": httpapi.Arr(httpapi.Ref("Link"))}, "jobID", "status")}
}

func (h Handler) ownerOf(c *gin.Context) (string, bool, error) {
	j, err := h.Jobs.Get(c.Request.Context(), c.Param("job"))
	if errors.Is(err, jobs.ErrNotFound) {
		return "", false, nil
	}
	return j.Owner, err == nil, err
}

// noSuchJob is the answer for a job that does not exist, or is not the caller's.
func noSuchJob(c *gin.Context) error {
	return problem.NotFound(fmt.Sprintf("no job %q", c.Param("job"))).
		With("type", "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job")
}

func (h Handler) find(id string) (jobs.Process, bool) {
	for _, p := range h.Jobs.Processes() {
		if p.ID == id {
			return p, true
		}
	}
	return jobs.Process{}, false
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

func (h Handler) summary(p jobs.Process) gin.H {
	return gin.H{"id": p.ID, "title": p.Title, "description": p.Description, "version": "1.0.0",
		"jobControlOptions": []string{"async-execute", "dismiss"}, "outputTransmission": []string{"reference"},
		"links": []link{{Href: base + "/processes/" + p.ID, Rel: "self", Type: "application/json"},
			{Href: base + "/processes/" + p.ID + "/execution", Rel: "http://www.opengis.net/def/rel/ogc/1.0/execute", Type: "application/json"}}}
}

func (h Handler) listProcesses(c *gin.Context) {
	ps := make([]gin.H, 0, len(h.Jobs.Processes()))
	for _, p := range h.Jobs.Processes() {
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

// execute stores a job, which a worker of any process then runs: nothing about this
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
	inputs, _, err := p.Prepare(c.Request.Context(), body.Inputs)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	j, err := h.Jobs.Submit(c.Request.Context(), auth.FromContext(c).Name, p, inputs)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	loc := base + "/jobs/" + j.ID
	c.Header("Location", loc)
	c.JSON(http.StatusCreated, statusInfo(j))
}

// statusInfo is the OGC statusInfo document of j with its links.
func statusInfo(j jobs.Job) gin.H {
	self := base + "/jobs/" + j.ID
	links := []link{{Href: self, Rel: "self", Type: "application/json", Title: "status"}}
	if j.Status == queue.Successful {
		links = append(links, link{Href: self + "/results", Rel: "http://www.opengis.net/def/rel/ogc/1.0/results", Type: "application/json", Title: "results"})
	}
	d := gin.H{"jobID": j.ID, "processID": j.Process, "type": "process", "status": j.Status, "message": j.Message,
		"progress": j.Progress, "created": j.Created.Format(time.RFC3339), "updated": j.Updated.Format(time.RFC3339), "links": links}
	if j.Started != nil {
		d["started"] = j.Started.Format(time.RFC3339)
	}
	if j.Finished != nil {
		d["finished"] = j.Finished.Format(time.RFC3339)
	}
	if len(j.Inputs) > 0 {
		d["inputs"] = j.Inputs
	}
	if j.Owner != "" {
		d["owner"] = j.Owner
	}
	return d
}

func (h Handler) job(c *gin.Context) (jobs.Job, bool) {
	j, err := h.Jobs.Get(c.Request.Context(), c.Param("job"))
	if errors.Is(err, jobs.ErrNotFound) {
		problem.Respond(c, h.Log, noSuchJob(c))
		return j, false
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
	}
	return j, err == nil
}

func (h Handler) listJobs(c *gin.Context) {
	p := auth.FromContext(c)
	js, err := h.Jobs.List(c.Request.Context(), "")
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	out := make([]gin.H, 0, len(js))
	for _, j := range js {
		if p.Owns(j.Owner) {
			out = append(out, statusInfo(j))
		}
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
	if j.Status != queue.Successful {
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

// file streams one result file from the database: only names the job listed are looked up.
func (h Handler) file(c *gin.Context) {
	j, ok := h.job(c)
	if !ok {
		return
	}
	var f *jobs.File
	for i := range j.Files {
		if j.Files[i].Name == c.Param("file") {
			f = &j.Files[i]
		}
	}
	if j.Status != queue.Successful || f == nil {
		problem.Respond(c, h.Log, problem.NotFound(fmt.Sprintf("no result %q of job %q", c.Param("file"), c.Param("job"))))
		return
	}
	disp := "attachment"
	if f.Type == "application/pdf" || f.Type == "text/html; charset=utf-8" {
		disp = "inline"
	}
	c.Header("Content-Type", f.Type)
	c.Header("Content-Disposition", disp+`; filename="`+f.Name+`"`)
	c.Header("Content-Length", strconv.FormatInt(f.Size, 10))
	// The HTML is self-contained: it needs nothing from anywhere.
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	if j.Finished != nil {
		c.Header("Last-Modified", j.Finished.UTC().Format(http.TimeFormat))
	}
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		return
	}
	if err := h.Jobs.CopyFile(c.Request.Context(), j.ID, f.Name, c.Writer); err != nil {
		// The headers are sent: the client sees a short body; the cause goes to the log.
		h.Log.Error("jobs: sending a result file", "job", j.ID, "file", f.Name, "err", err)
	}
}

func (h Handler) dismiss(c *gin.Context) {
	j, err := h.Jobs.Dismiss(c.Request.Context(), c.Param("job"))
	if errors.Is(err, jobs.ErrNotFound) {
		problem.Respond(c, h.Log, noSuchJob(c))
		return
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.JSON(http.StatusOK, statusInfo(j))
}
