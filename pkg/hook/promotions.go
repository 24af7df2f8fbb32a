package hook

import (
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"strings"

	"sigs.k8s.io/promoter/pkg/promoter"
)

// Promotions serves GET /promotions: JSON when the client asks for it
// (Accept: application/json), an HTML table for a browser.
func Promotions(list func() []promoter.Status) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "405 Method not allowed", http.StatusMethodNotAllowed)
			return
		}
		all := list()
		if wantsJSON(r.Header.Get("Accept")) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(all)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, all)
	})
}

func wantsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

var page = template.Must(template.New("promotions").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>promoter: promotions</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.failed{background:#fdd}.pr-open,.merged{background:#dfd}.live{background:#bfb}.already-promoted{background:#eef}.closed{background:#eee}</style></head>
<body><h1>Promotions</h1>
{{if not .}}<p>No promotion tracked yet.</p>{{else}}
<table><tr><th>Project</th><th>Git tag</th><th>Stage</th><th>PR</th><th>Jobs</th><th>Images</th><th>Last error</th><th>Updated</th></tr>
{{range .}}<tr class="{{.Stage}}"><td>{{.Project}}</td><td>{{.Tag}}</td><td>{{.Stage}}</td>
<td>{{if .PR}}<a href="{{.PR}}">{{.PR}}</a>{{end}}</td>
<td>{{range .Jobs}}<a href="{{.}}">run</a> {{end}}</td>
<td>{{range .Images}}{{.Name}}:{{.Tag}} <code>{{.Digest}}</code><br>{{end}}</td>
<td>{{.Error}}{{if .Note}}<br><i>{{.Note}}</i>{{end}}{{range .Warnings}}<br>&#9888; {{.}}{{end}}{{range .Production}}<br>live: <code>{{.}}</code>{{end}}</td><td>{{.Updated.Format "2006-01-02T15:04:05Z07:00"}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))
