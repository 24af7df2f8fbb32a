package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
)

// TestKube checks the server is the real one promoter's client-go is made
// for, that it holds ProwJobs to Prow's schema, and that the ProwJobs the
// harness makes pass it through every state Prow moves them to.
func TestKube(t *testing.T) {
	k := StartKube(t)
	v, err := k.Core().Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != KubeVersion {
		t.Errorf("server version %s, want %s", v.GitVersion, KubeVersion)
	}
	out, err := k.Kubectl(context.Background(), "version", "-o", "json")
	if err != nil || strings.Count(out, `"gitVersion": "`+KubeVersion+`"`) != 2 {
		t.Errorf("kubectl and server should both be %s: %v\n%s", KubeVersion, err, out)
	}

	t.Run("schema refuses what Prow would never write", func(t *testing.T) {
		for name, change := range map[string]func(*prowapi.ProwJob){
			"success without a completion time": func(pj *prowapi.ProwJob) { pj.Status.State = prowapi.SuccessState },
			"an unknown state":                  func(pj *prowapi.ProwJob) { pj.Status.State = "passed" },
			"an unknown type":                   func(pj *prowapi.ProwJob) { pj.Spec.Type = "tag" },
		} {
			pj := TriggeredPostsubmit("apisnoop-push-snoopdb-images", "kubernetes-sigs", "apisnoop", "v0.3.0", "abc", "GUID")
			change(&pj)
			if _, err := k.CreateProwJob(pj); err == nil {
				t.Errorf("%s: created", name)
			}
		}
		// A container with no name key at all (hand-written YAML can do
		// that; Go types always send the key).
		pj := TriggeredPostsubmit("apisnoop-push-snoopdb-images", "kubernetes-sigs", "apisnoop", "v0.3.0", "abc", "GUID")
		raw, _ := json.Marshal(pj)
		raw = bytes.Replace(raw, []byte(`"name":"",`), nil, 1)
		err := k.Prow().ProwV1().RESTClient().Post().Namespace(ProwJobNamespace).Resource("prowjobs").
			Body(raw).Do(context.Background()).Error()
		if err == nil || !strings.Contains(err.Error(), "containers[0].name: Required value") {
			t.Errorf("a container with no name key: %v", err)
		}
	})

	for _, final := range []prowapi.ProwJobState{prowapi.SuccessState, prowapi.FailureState, prowapi.AbortedState} {
		t.Run("triggered, pending, "+string(final), func(t *testing.T) {
			pj, err := k.CreateProwJob(TriggeredPostsubmit("apisnoop-push-snoopdb-images", "kubernetes-sigs", "apisnoop", "v0.3.0", "abc", "GUID"))
			if err != nil {
				t.Fatal(err)
			}
			if pj.Status.State != prowapi.TriggeredState || pj.Labels["prow.k8s.io/refs.base_ref"] != "v0.3.0" || pj.Labels["event-GUID"] != "GUID" {
				t.Errorf("not as trigger makes it: state %s, labels %v", pj.Status.State, pj.Labels)
			}
			pending, err := k.SetState(pj.Name, prowapi.PendingState)
			if err != nil {
				t.Fatal(err)
			}
			if pending.Status.URL == "" || pending.Status.PendingTime == nil || pending.Complete() {
				t.Errorf("pending: %+v", pending.Status)
			}
			done, err := k.SetState(pj.Name, final)
			if err != nil {
				t.Fatal(err)
			}
			if done.Status.State != final || !done.Complete() || done.Status.URL != pending.Status.URL {
				t.Errorf("%s: %+v", final, done.Status)
			}
			if done.Status.CompletionTime.Before(&done.Status.StartTime) {
				t.Errorf("completed before it started: %+v", done.Status)
			}
		})
	}

	t.Run("a namespace of its own", func(t *testing.T) {
		other := k.InNamespace(t, "other")
		pj, err := other.CreateProwJob(TriggeredPostsubmit("apisnoop-push-snoopdb-images", "kubernetes-sigs", "apisnoop", "v0.4.0", "abc", "GUID"))
		if err != nil {
			t.Fatal(err)
		}
		if pj.Namespace != "other" {
			t.Errorf("created in %q", pj.Namespace)
		}
		if _, err := other.SetState(pj.Name, prowapi.PendingState); err != nil {
			t.Error(err)
		}
		if _, err := k.SetState(pj.Name, prowapi.PendingState); err == nil {
			t.Errorf("%s found in %s", pj.Name, k.Namespace())
		}
	})

	t.Run("Stop ends both processes", func(t *testing.T) {
		k.Stop()
		ctx, cancel := Deadline(10 * time.Second)
		defer cancel()
		if err := WaitFor(ctx, nil, "both to exit", func() bool { return k.APIServer.Exited() && k.Etcd.Exited() }); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Prow().ProwV1().ProwJobs(ProwJobNamespace).List(ctx, metav1.ListOptions{}); err == nil {
			t.Error("the server still answers after Stop")
		}
	})
}

// TestStartKubeFailureCleansUp: a server that cannot start gives an error
// with its output, and leaves no etcd running.
func TestStartKubeFailureCleansUp(t *testing.T) {
	bins, err := kubeBinaries()
	if err != nil {
		t.Fatal(err)
	}
	bins.apiserver = "/bin/false"
	ctx, cancel := Deadline(time.Minute)
	defer cancel()
	dir := t.TempDir()
	k, err := startKube(ctx, dir, bins)
	if err == nil {
		k.Stop()
		t.Fatal("started with /bin/false as kube-apiserver")
	}
	if !strings.Contains(err.Error(), "kube-apiserver exited") || !strings.Contains(err.Error(), "etcd (last lines)") {
		t.Errorf("the error should say what exited and show the output: %v", err)
	}
	// etcd was started with its data under dir.
	if pids := processesWith(t, dir); len(pids) > 0 {
		t.Errorf("processes still running with %s in their command line: %v", dir, pids)
	}
}

// processesWith lists the processes whose command line contains s.
func processesWith(t *testing.T, s string) []string {
	t.Helper()
	cmdlines, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})), s) {
			pids = append(pids, filepath.Base(filepath.Dir(f)))
		}
	}
	return pids
}
