package harness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
)

// KubeAPI is the sliver of a Kubernetes API server that a ProwJob informer
// uses: list and watch of prow.k8s.io/v1 ProwJobs in one namespace. It lets
// the promoter binary run its in-cluster path (--kubeconfig) on a machine
// with no cluster.
type KubeAPI struct {
	srv      *httptest.Server
	URL      string
	mu       sync.Mutex
	rv       int
	jobs     map[string]prowapi.ProwJob
	watchers map[chan []byte]bool
}

// StartKubeAPI starts it with no ProwJobs.
func StartKubeAPI() *KubeAPI {
	k := &KubeAPI{jobs: map[string]prowapi.ProwJob{}, watchers: map[chan []byte]bool{}}
	k.srv = httptest.NewServer(http.HandlerFunc(k.serve))
	k.URL = k.srv.URL
	return k
}

// Close stops it.
func (k *KubeAPI) Close() {
	k.mu.Lock()
	for w := range k.watchers {
		close(w)
		delete(k.watchers, w)
	}
	k.mu.Unlock()
	k.srv.Close()
}

// Kubeconfig writes a kubeconfig for this server into dir and returns its path.
func (k *KubeAPI) Kubeconfig(dir string) (string, error) {
	path := filepath.Join(dir, "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: %q}
contexts:
- name: fake
  context: {cluster: fake, user: fake}
current-context: fake
users:
- name: fake
  user: {}
`, k.URL)
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// Set creates or updates a ProwJob and tells the watchers.
func (k *KubeAPI) Set(j prowapi.ProwJob) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.rv++
	_, existed := k.jobs[j.Name]
	j.ResourceVersion = strconv.Itoa(k.rv)
	k.jobs[j.Name] = j
	kind := "ADDED"
	if existed {
		kind = "MODIFIED"
	}
	ev, _ := json.Marshal(map[string]any{"type": kind, "object": j})
	for w := range k.watchers {
		select {
		case w <- ev:
		default: // a stuck watcher re-lists after its watch ends
		}
	}
}

func (k *KubeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/prowjobs") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Query().Get("watch") == "true" {
		k.watch(w, r)
		return
	}
	k.mu.Lock()
	items := make([]prowapi.ProwJob, 0, len(k.jobs))
	for _, j := range k.jobs {
		items = append(items, j)
	}
	rv := k.rv
	k.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{
		"kind": "ProwJobList", "apiVersion": "prow.k8s.io/v1",
		"metadata": map[string]any{"resourceVersion": strconv.Itoa(rv)}, "items": items,
	})
}

// watch streams events as the API server does: one JSON object a line.
func (k *KubeAPI) watch(w http.ResponseWriter, r *http.Request) {
	ch := make(chan []byte, 100)
	k.mu.Lock()
	k.watchers[ch] = true
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		if k.watchers[ch] {
			delete(k.watchers, ch)
		}
		k.mu.Unlock()
	}()
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			w.Write(append(ev, '\n'))
			w.(http.Flusher).Flush()
		}
	}
}
