package onboard

import "testing"

func TestAttribute(t *testing.T) {
	jobs := []*Job{
		{Name: "apisnoop-push-auditlogger-images", Repo: "kubernetes-sigs/apisnoop", ConfigDir: "apps/auditlogger"},
		{Name: "apisnoop-push-snoopdb-images", Repo: "kubernetes-sigs/apisnoop", ConfigDir: "apps/snoopdb"},
		{Name: "post-autoscaler-push-vpa-images", Repo: "kubernetes/autoscaler", ConfigDir: "vertical-pod-autoscaler"},
		{Name: "post-kubernetes-push-e2e-nginx-test-images", Repo: "kubernetes/kubernetes", ConfigDir: "test/images"},
		{Name: "post-kubernetes-push-e2e-nginx-new-test-images", Repo: "kubernetes/kubernetes", ConfigDir: "test/images"},
		{Name: "post-metrics-server-push-images", Repo: "kubernetes-sigs/metrics-server", ConfigDir: "."},
		{Name: "post-minikube-gvisor-addon-image", Repo: "kubernetes/minikube", ConfigDir: ".", GCBConfig: "hack/prow/image/gvisor/cloudbuild.yaml"},
		{Name: "post-a-push-images", Repo: "x/a", ConfigDir: "."},
		{Name: "post-b-push-images", Repo: "x/b", ConfigDir: "."},
	}
	images := []string{"snoopdb", "auditlogger", "vpa-recommender-amd64", "nginx", "nginx-new", "metrics-server-s390x", "gvisor", "controller"}
	got := Attribute(images, jobs, nil)
	want := map[string]struct {
		job string
		ev  strength
	}{
		"snoopdb":               {"apisnoop-push-snoopdb-images", named},
		"auditlogger":           {"apisnoop-push-auditlogger-images", named},
		"vpa-recommender-amd64": {"post-autoscaler-push-vpa-images", jobWords},
		"nginx":                 {"post-kubernetes-push-e2e-nginx-test-images", named}, // the closer of two names
		"nginx-new":             {"post-kubernetes-push-e2e-nginx-new-test-images", named},
		"metrics-server-s390x":  {"post-metrics-server-push-images", named},
		"gvisor":                {"post-minikube-gvisor-addon-image", named},
		"controller":            {"", noEvidence}, // nothing names it: never guessed
	}
	for img, w := range want {
		a := got[img]
		name := ""
		if a.Job != nil {
			name = a.Job.Name
		}
		if name != w.job || a.Evidence != w.ev {
			t.Errorf("%s: job %q (%v), want %q (%v)", img, name, a.Evidence, w.job, w.ev)
		}
	}
	if got["nginx"].Rivals != 1 {
		t.Error("a tie broken by the closest name must say so")
	}

	// Elimination: only the sole job takes the images no job names.
	sole := Attribute([]string{"controller"}, jobs[7:], jobs[7])["controller"]
	if sole.Job != jobs[7] || sole.Evidence != onlyJob {
		t.Errorf("sole job: %+v", sole)
	}
	// Two jobs with the same evidence and no way to tell them apart: no job.
	tie := Attribute([]string{"thing"}, []*Job{
		{Name: "post-x-push-thing-images", Repo: "x/x"},
		{Name: "post-y-push-thing-images", Repo: "x/y"},
	}, nil)["thing"]
	if tie.Job != nil || len(tie.Candidates) != 2 {
		t.Errorf("a real tie was decided: %+v", tie)
	}
}
