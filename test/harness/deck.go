package harness

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
)

// Deck serves /prowjobs.js as Prow's Deck does: {"items": [ProwJob...]},
// newest first. Tests change the jobs while promoter polls.
type Deck struct {
	srv  *httptest.Server
	URL  string
	mu   sync.Mutex
	jobs map[string]prowapi.ProwJob
}

// StartDeck starts a Deck with no jobs.
func StartDeck() *Deck {
	d := &Deck{jobs: map[string]prowapi.ProwJob{}}
	d.srv = httptest.NewServer(http.HandlerFunc(d.serve))
	d.URL = d.srv.URL
	return d
}

// Close stops it.
func (d *Deck) Close() { d.srv.Close() }

// Set adds or replaces a job (by name).
func (d *Deck) Set(j prowapi.ProwJob) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.jobs[j.Name] = j
}

func (d *Deck) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/prowjobs.js" {
		http.NotFound(w, r)
		return
	}
	d.mu.Lock()
	items := make([]prowapi.ProwJob, 0, len(d.jobs))
	for _, j := range d.jobs {
		items = append(items, j)
	}
	d.mu.Unlock()
	sort.Slice(items, func(i, k int) bool { return items[i].Status.StartTime.After(items[k].Status.StartTime.Time) })
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"items": items})
}

// Postsubmit is a ProwJob as Prow's trigger makes it for a tag push, in
// state (triggered, pending, success, failure, aborted, error); done states
// get a completion time.
func Postsubmit(name, job, org, repo, tag, sha, state string, start time.Time) prowapi.ProwJob {
	j := prowapi.ProwJob{
		TypeMeta: metav1.TypeMeta{Kind: "ProwJob", APIVersion: "prow.k8s.io/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{
			"prow.k8s.io/type": "postsubmit", "prow.k8s.io/job": job, "prow.k8s.io/refs.org": org,
			"prow.k8s.io/refs.repo": repo, "prow.k8s.io/refs.base_ref": tag, "event-GUID": "GUID",
		}},
		Spec: prowapi.ProwJobSpec{
			Type: prowapi.PostsubmitJob, Job: job, Agent: prowapi.KubernetesAgent,
			Refs: &prowapi.Refs{Org: org, Repo: repo, BaseRef: tag, BaseSHA: sha},
		},
		Status: prowapi.ProwJobStatus{
			State: prowapi.ProwJobState(state), StartTime: metav1.NewTime(start),
			URL: "https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/" + job + "/" + name,
		},
	}
	switch state {
	case "success", "failure", "aborted", "error":
		done := metav1.NewTime(time.Now())
		j.Status.CompletionTime = &done
	}
	return j
}
