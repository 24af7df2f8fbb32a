package jobs

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
)

const pollEvery = 20 * time.Millisecond

// fakeDeck serves /prowjobs.js as Deck does (cmd/deck handleProwJobs): the
// ProwJobs marshalled as {"items": [...]}, newest first, gzipped when the
// client accepts it. Tests change the jobs, or break the answer, between
// polls.
type fakeDeck struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	jobs      map[string]*prowapi.ProwJob
	bad       string // how to answer instead: see answerBadly
	failFirst int    // answer the first failFirst requests with 500
	requests  int
	paths     []string
	omits     []string
}

func newFakeDeck(t *testing.T, jobs ...*prowapi.ProwJob) *fakeDeck {
	d := &fakeDeck{t: t, jobs: map[string]*prowapi.ProwJob{}}
	d.set(jobs...)
	d.srv = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.srv.Close)
	return d
}

// set adds or replaces jobs by name.
func (d *fakeDeck) set(jobs ...*prowapi.ProwJob) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, j := range jobs {
		d.jobs[j.Name] = j.DeepCopy()
	}
}

func (d *fakeDeck) answer(bad string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bad = bad
}

func (d *fakeDeck) served() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.requests
}

// awaitPolls waits until n more requests have been served. Polls are
// sequential, so once n >= 2 the source has finished handling n-1 of them.
func (d *fakeDeck) awaitPolls(n int) {
	d.t.Helper()
	target := d.served() + n
	eventually(d.t, fmt.Sprintf("%d polls", n), func() bool { return d.served() >= target })
}

func (d *fakeDeck) serve(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.requests++
	d.paths = append(d.paths, r.URL.Path)
	d.omits = append(d.omits, r.URL.Query().Get("omit"))
	bad := d.bad
	if d.requests <= d.failFirst {
		bad = "500"
	}
	items := make([]prowapi.ProwJob, 0, len(d.jobs))
	for _, j := range d.jobs {
		items = append(items, *j)
	}
	d.mu.Unlock()

	if !strings.HasSuffix(r.URL.Path, "/prowjobs.js") {
		http.NotFound(w, r)
		return
	}
	if bad != "" {
		answerBadly(w, bad)
		return
	}
	slices.SortFunc(items, func(a, b prowapi.ProwJob) int {
		return b.Status.StartTime.Compare(a.Status.StartTime.Time)
	})
	body, err := json.Marshal(struct {
		Items []prowapi.ProwJob `json:"items"`
	}{items})
	if err != nil {
		d.t.Errorf("marshalling: %v", err)
		return
	}
	writeGzipped(w, r, body)
}

func answerBadly(w http.ResponseWriter, how string) {
	switch how {
	case "500":
		http.Error(w, "internal error", http.StatusInternalServerError)
	case "401":
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	case "truncated":
		fmt.Fprint(w, `{"items":[{"kind":"ProwJob","spec":{"type":"postsub`)
	case "html":
		fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
	case "empty object": // what Deck sends when it fails to marshal
		fmt.Fprint(w, "{}")
	case "wrong items":
		fmt.Fprint(w, `{"items":{"kind":"ProwJob"}}`)
	}
}

// writeGzipped answers as Deck's gziphandler does.
func writeGzipped(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Write(body)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	zw := gzip.NewWriter(w)
	zw.Write(body)
	zw.Close()
}

// startDeck starts a Deck Source on d, polling every pollEvery.
func startDeck(t *testing.T, d *fakeDeck, opts ...DeckOption) (Source, recorder) {
	t.Helper()
	src := NewDeck(d.srv.URL, pollEvery, opts...)
	rec := newRecorder()
	if err := src.Start(t.Context(), rec.onDone, 0); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return src, rec
}

// marker is a done job newer than any other, so it is reported last.
func marker() *prowapi.ProwJob {
	return prowJob(prowapi.PostsubmitJob, "marker", "marker-job", testOrg, "other", "main", "success", t0.Add(24*time.Hour))
}

func TestDeckReportsFinish(t *testing.T) {
	pj := image("run-1", testTag, "pending", t0)
	d := newFakeDeck(t, pj)
	src, rec := startDeck(t, d)

	runs := src.Runs(imageJob, testOrg, testRepo, testTag)
	if len(runs) != 1 || runs[0].Name != "run-1" || runs[0].Done() || runs[0].GUID != "guid-run-1" {
		t.Fatalf("Runs = %+v, want run-1 not done", runs)
	}
	if len(rec) != 0 {
		t.Fatalf("a pending job was reported: %+v", <-rec)
	}

	finish(pj, "success", t0.Add(3*time.Minute))
	d.set(pj)
	got := rec.next(t)
	if got.Name != "run-1" || !got.Succeeded() || got.URL != pj.Status.URL || !got.Completion.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("reported %+v", got)
	}
	d.set(marker())
	if more := rec.until(t, "marker"); len(more) != 0 {
		t.Errorf("reported again: %+v", more)
	}
	if runs := src.Runs(imageJob, testOrg, testRepo, testTag); len(runs) != 1 || !runs[0].Succeeded() {
		t.Errorf("Runs after success = %+v", runs)
	}
}

func TestDeckOnlyPostsubmitsOfTheRef(t *testing.T) {
	periodic := image("periodic", testTag, "success", t0)
	periodic.Spec.Type = prowapi.PeriodicJob
	periodic.Spec.Refs = nil
	d := newFakeDeck(t,
		image("wanted", testTag, "success", t0),
		prowJob(prowapi.PresubmitJob, "presubmit", imageJob, testOrg, testRepo, testTag, "success", t0),
		prowJob(prowapi.PostsubmitJob, "other-repo", imageJob, testOrg, "boskos", testTag, "success", t0),
		image("other-ref", "v1.2.4", "success", t0),
		periodic)
	// Deck lists every job of the instance: mostly presubmits.
	for i := range 3000 {
		name := fmt.Sprintf("pull-%d", i)
		d.set(prowJob(prowapi.PresubmitJob, name, "pull-test", "kubernetes", "kubernetes", "master", "success", t0.Add(-time.Duration(i)*time.Second)))
	}
	src, _ := startDeck(t, d)

	if got := names(src.Runs(imageJob, testOrg, testRepo, testTag)); !slices.Equal(got, []string{"wanted"}) {
		t.Errorf("Runs = %v, want [wanted]", got)
	}
	if got := names(src.Runs(imageJob, testOrg, testRepo, "v9.9.9")); len(got) != 0 {
		t.Errorf("Runs of an unknown tag = %v", got)
	}
	if got := names(src.List()); !slices.Equal(got, []string{"wanted", "other-repo", "other-ref"}) {
		t.Errorf("List = %v", got)
	}
}

func TestDeckNewestFirst(t *testing.T) {
	d := newFakeDeck(t,
		image("first", testTag, "failure", t0),
		image("rerun", testTag, "success", t0.Add(10*time.Minute)))
	src, _ := startDeck(t, d)

	runs := src.Runs(imageJob, testOrg, testRepo, testTag)
	if got := names(runs); !slices.Equal(got, []string{"rerun", "first"}) {
		t.Fatalf("Runs = %v, want [rerun first]", got)
	}
	// The caller owns what it gets.
	runs[0].State = "mangled"
	all := src.List()
	all[0].State = "mangled"
	if again := src.Runs(imageJob, testOrg, testRepo, testTag); again[0].State != "success" {
		t.Errorf("a caller's change to Runs leaked into the source: %+v", again[0])
	}
	if again := src.List(); again[0].State != "success" {
		t.Errorf("a caller's change to List leaked into the source: %+v", again[0])
	}
}

// The first poll reports every done run, as the informer does on Add, so a
// restart sees finished runs again.
func TestDeckReportsDoneJobsAtStart(t *testing.T) {
	d := newFakeDeck(t,
		image("old-success", testTag, "success", t0),
		image("running", testTag, "pending", t0.Add(time.Minute)))
	_, rec := startDeck(t, d)
	if len(rec) != 1 {
		t.Fatalf("%d runs reported by Start, want 1", len(rec))
	}
	if got := rec.next(t); got.Name != "old-success" || !got.Succeeded() {
		t.Errorf("reported %+v", got)
	}
	d.set(marker())
	if more := rec.until(t, "marker"); len(more) != 0 {
		t.Errorf("reported again: %+v", more)
	}
}

// A failed poll keeps the last good list, and the next good poll reports
// only what finished meanwhile.
func TestDeckBadPollKeepsState(t *testing.T) {
	for _, bad := range []string{"500", "truncated", "html", "empty object", "wrong items"} {
		t.Run(bad, func(t *testing.T) {
			pj := image("run-1", testTag, "pending", t0)
			d := newFakeDeck(t, pj, image("old", "v1.0.0", "success", t0))
			src, rec := startDeck(t, d)
			rec.next(t) // old, at start

			d.answer(bad)
			d.awaitPolls(2)
			if runs := src.Runs(imageJob, testOrg, testRepo, testTag); len(runs) != 1 || runs[0].Done() {
				t.Fatalf("Runs after a bad poll = %+v, want run-1 not done", runs)
			}
			if got := len(src.List()); got != 2 {
				t.Fatalf("List after a bad poll has %d runs, want 2", got)
			}

			finish(pj, "success", t0.Add(time.Minute))
			d.set(pj, marker())
			d.answer("")
			if got := names(rec.until(t, "marker")); !slices.Equal(got, []string{"run-1"}) {
				t.Errorf("reported %v after recovery, want [run-1]", got)
			}
		})
	}
}

// A Deck that is down at start delays Start; it does not fail it.
func TestDeckStartRetries(t *testing.T) {
	d := newFakeDeck(t, image("done", testTag, "success", t0))
	d.mu.Lock()
	d.failFirst = 3
	d.mu.Unlock()
	_, rec := startDeck(t, d)
	if got := d.served(); got != 4 {
		t.Errorf("Start returned after %d requests, want 4", got)
	}
	if got := rec.next(t); got.Name != "done" {
		t.Errorf("reported %+v", got)
	}
}

func TestDeckStartEndsWithContext(t *testing.T) {
	d := newFakeDeck(t)
	d.answer("500")
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		d.awaitPolls(2)
		cancel()
	}()
	err := NewDeck(d.srv.URL, pollEvery).Start(ctx, newRecorder().onDone, 0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Start = %v, want context.Canceled", err)
	}
}

func TestDeckQuery(t *testing.T) {
	for _, base := range []string{"", "/", "/deck", "/deck/"} {
		t.Run(base, func(t *testing.T) {
			d := newFakeDeck(t)
			if err := NewDeck(d.srv.URL+base, pollEvery).Start(t.Context(), newRecorder().onDone, 0); err != nil {
				t.Fatalf("Start: %v", err)
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			wantPath := strings.TrimSuffix(base, "/") + "/prowjobs.js"
			if d.paths[0] != wantPath {
				t.Errorf("path %q, want %q", d.paths[0], wantPath)
			}
			omit := strings.Split(d.omits[0], ",")
			for _, f := range []string{"annotations", "decoration_config", "pod_spec"} {
				if !slices.Contains(omit, f) {
					t.Errorf("omit=%q lacks %s", d.omits[0], f)
				}
			}
			if slices.Contains(omit, "labels") {
				t.Errorf("omit=%q drops the labels, and with them event-GUID", d.omits[0])
			}
		})
	}
}

func TestDeckBadURL(t *testing.T) {
	for _, u := range []string{"ftp://deck.example", "://deck", "deck.example"} {
		if err := NewDeck(u, pollEvery).Start(t.Context(), newRecorder().onDone, 0); err == nil {
			t.Errorf("Start with %q succeeded", u)
		}
	}
}

func TestDeckWithHTTPClient(t *testing.T) {
	d := newFakeDeck(t, image("done", testTag, "success", t0))
	tls := httptest.NewTLSServer(d.srv.Config.Handler)
	t.Cleanup(tls.Close)
	// Only the server's own client trusts its certificate.
	src := NewDeck(tls.URL, pollEvery, WithHTTPClient(tls.Client()))
	if err := src.Start(t.Context(), newRecorder().onDone, 0); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if got := names(src.List()); !slices.Equal(got, []string{"done"}) {
		t.Errorf("List = %v", got)
	}
}

func TestDeckBodyLimit(t *testing.T) {
	d := newFakeDeck(t, image("done", testTag, "success", t0))
	src := NewDeck(d.srv.URL, pollEvery).(*deck)
	endpoint, err := src.endpoint()
	if err != nil {
		t.Fatal(err)
	}
	full, err := src.fetch(t.Context(), endpoint.String())
	if err != nil || len(full) != 1 {
		t.Fatalf("fetch = %v, %v", full, err)
	}

	src.maxBody = 64
	if _, err := src.fetch(t.Context(), endpoint.String()); !errors.Is(err, errTooLarge) {
		t.Errorf("fetch of a body over the limit = %v, want errTooLarge", err)
	}
}

func TestDecodeRuns(t *testing.T) {
	body, err := json.Marshal(map[string]any{
		"kind":  "ProwJobList",
		"items": []*prowapi.ProwJob{image("a", testTag, "success", t0)},
		"extra": map[string]any{"x": []int{1, 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		body  string
		limit int64
		want  []string
	}{
		"other keys":        {string(body), int64(len(body)), []string{"a"}},
		"null items":        {`{"items":null}`, 100, []string{}},
		"no jobs":           {`{"items":[]}`, 100, []string{}},
		"exactly the limit": {`{"items":[]}`, int64(len(`{"items":[]}`)), []string{}},
	} {
		runs, err := decodeRuns(&limitedReader{r: strings.NewReader(c.body), n: c.limit})
		if err != nil || !slices.Equal(names(runs), c.want) {
			t.Errorf("%s: decodeRuns = %v, %v; want %v", name, names(runs), err, c.want)
		}
	}
	if _, err := decodeRuns(&limitedReader{r: strings.NewReader(string(body)), n: int64(len(body) - 1)}); !errors.Is(err, errTooLarge) {
		t.Errorf("one byte over the limit: %v, want errTooLarge", err)
	}
}
