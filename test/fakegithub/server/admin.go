package server

import (
	"net/http"
	"net/http/cgi"
	"os/exec"
	"strings"
)

// adminRequests is GET /_fakegithub/requests: the API requests served so
// far per route (admin requests are not counted).
func (s *Server) adminRequests(c *reqCtx) {
	c.writeJSON(http.StatusOK, s.Requests())
}

// adminResetRequests is POST /_fakegithub/requests/reset.
func (s *Server) adminResetRequests(c *reqCtx) {
	s.ResetRequests()
	c.writeJSON(http.StatusOK, map[string]any{})
}

// serveGit serves read-only git smart HTTP (clone and fetch) for
// /<owner>/<repo>[.git]/info/refs and /git-upload-pack, so a repository's
// clone_url works. It reports whether it handled the request.
func (s *Server) serveGit(w http.ResponseWriter, r *http.Request) bool {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(segs) < 3 || segs[0] == "repos" || strings.HasPrefix(segs[0], "_") {
		return false
	}
	tail := strings.Join(segs[2:], "/")
	switch {
	case tail == "info/refs" && r.Method == http.MethodGet && r.URL.Query().Get("service") == "git-upload-pack":
	case tail == "git-upload-pack" && r.Method == http.MethodPost:
	default:
		return false
	}
	rr, ok := s.repoRef(segs[0], segs[1])
	if !ok {
		http.NotFound(w, r)
		return true
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		http.Error(w, "git not found", http.StatusInternalServerError)
		return true
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + rr.Owner + "/" + rr.Name + ".git/" + tail
	h := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Root: "/",
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
		},
		InheritEnv: []string{"PATH", "HOME"},
	}
	h.ServeHTTP(w, r2)
	return true
}
