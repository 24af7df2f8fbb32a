package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
	"sigs.k8s.io/prow/pkg/config"
	"sigs.k8s.io/prow/pkg/github"
	"sigs.k8s.io/prow/pkg/pjutil"
)

// TriggeredPostsubmit is the ProwJob Prow's trigger plugin creates for a
// push that starts the postsubmit job of org/repo: made by Prow's pjutil
// from a job config shaped like test-infra's image-pushing jobs, with the
// push's ref (a tag or a branch), its "after" SHA and delivery id. It is in
// state triggered, named by a fresh UUID.
func TriggeredPostsubmit(job, org, repo, baseRef, baseSHA, guid string) prowapi.ProwJob {
	decorate := true
	p := config.Postsubmit{JobBase: config.JobBase{
		Name:    job,
		Agent:   string(prowapi.KubernetesAgent),
		Cluster: "k8s-infra-prow-build-trusted",
		Annotations: map[string]string{
			"testgrid-dashboards": "sig-k8s-infra-gcb",
			"description":         "Builds an image for a test of promoter",
		},
		UtilityConfig: config.UtilityConfig{Decorate: &decorate},
		Spec: &corev1.PodSpec{
			ServiceAccountName: "gcb-builder",
			// Unnamed, as in test-infra's job configs: Prow's decoration
			// names it "test" in the pod, not in the ProwJob. The CRD
			// requires the name key, which Go always sends (empty).
			Containers: []corev1.Container{{
				Image:   "gcr.io/k8s-staging-test-infra/image-builder:v20260704-7722336b68",
				Command: []string{"/run.sh"},
				Args: []string{"--project=k8s-staging-" + repo, "--scratch-bucket=gs://k8s-staging-" + repo + "-gcb",
					"--env-passthrough=PULL_BASE_REF", "."},
			}},
		},
	}}
	refs := prowapi.Refs{
		Org: org, Repo: repo, RepoLink: "https://github.com/" + org + "/" + repo,
		BaseRef: baseRef, BaseSHA: baseSHA,
		BaseLink: "https://github.com/" + org + "/" + repo + "/compare/" + baseRef,
	}
	pj := pjutil.NewProwJob(pjutil.PostsubmitSpec(p, refs), map[string]string{github.EventGUID: guid}, p.Annotations)
	pj.Namespace = ProwJobNamespace
	return pj
}

// CreateProwJob creates pj in k's namespace and returns it as stored.
func (k *Kube) CreateProwJob(pj prowapi.ProwJob) (*prowapi.ProwJob, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pj.Namespace = k.ns
	return k.prow.ProwV1().ProwJobs(k.ns).Create(ctx, &pj, metav1.CreateOptions{})
}

// buildIDs numbers runs as Prow's build ids do: unique, increasing.
var buildIDs atomic.Int64

func init() { buildIDs.Store(time.Now().UnixMilli()) }

// SetState moves the ProwJob called name (in k's namespace) to state the way Prow's plank
// does, with a JSON merge patch of the status: pending sets the pending
// time, build id, pod name and run URL; success, failure, aborted and error
// set the completion time (a job is done when it has one). It returns the
// job as stored.
func (k *Kube) SetState(name string, state prowapi.ProwJobState) (*prowapi.ProwJob, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs := k.prow.ProwV1().ProwJobs(k.ns)
	pj, err := jobs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	now := metav1.Now()
	status := map[string]any{"state": state}
	switch state {
	case prowapi.PendingState:
		id := strconv.FormatInt(buildIDs.Add(1), 10)
		status["pendingTime"] = now
		status["build_id"] = id
		status["pod_name"] = pj.Name
		status["description"] = "Job triggered."
		status["url"] = "https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/" + pj.Spec.Job + "/" + id
	case prowapi.SuccessState, prowapi.FailureState, prowapi.AbortedState, prowapi.ErrorState:
		status["completionTime"] = now
		status["description"] = map[prowapi.ProwJobState]string{
			prowapi.SuccessState: "Job succeeded.",
			prowapi.FailureState: "Job failed.",
			prowapi.AbortedState: "Aborted as the newer version of this job is running.",
			prowapi.ErrorState:   "Pod got deleted unexpectedly",
		}[state]
	case prowapi.TriggeredState, prowapi.SchedulingState:
	default:
		return nil, fmt.Errorf("SetState: %q is not a ProwJob state", state)
	}
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return nil, err
	}
	return jobs.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
}
