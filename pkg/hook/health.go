package hook

import (
	"fmt"
	"net/http"
)

// Readiness says whether promoter can take webhooks now, and in words why
// and who leads.
type Readiness func() (ready bool, why string)

// Health serves /healthz (alive: the process answers) and /healthz/ready
// (200 when ready, 503 when not, with a line saying why and who leads).
func Health(ready Readiness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "OK") })
	mux.HandleFunc("/healthz/ready", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := ready()
		if !ok {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready: "+why)
	})
	return mux
}
