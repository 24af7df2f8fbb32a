package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
	"sigs.k8s.io/prow/pkg/client/clientset/versioned"
	"sigs.k8s.io/prow/pkg/client/informers/externalversions"
	listers "sigs.k8s.io/prow/pkg/client/listers/prowjobs/v1"
	"sigs.k8s.io/prow/pkg/kube"
)

// byRunKey indexes the informer's cache by job, org, repo and base ref, so
// Runs does not scan every ProwJob in the namespace on each reconcile.
const byRunKey = "promoter-run-key"

// informer is the in-cluster Source: a shared ProwJob informer and its lister.
type informer struct {
	factory   externalversions.SharedInformerFactory
	informer  cache.SharedIndexInformer
	lister    listers.ProwJobLister
	onRunning func(Run)
}

func (i *informer) OnRunning(f func(Run)) { i.onRunning = f }

// NewInformer returns a Source that watches the ProwJobs in namespace. Only
// ProwJobs labelled prow.k8s.io/type=postsubmit are listed and watched (Prow
// labels every ProwJob it creates), which keeps the far more numerous
// presubmits and periodics out of promoter's memory.
func NewInformer(cs versioned.Interface, namespace string) Source {
	postsubmits := labels.SelectorFromSet(labels.Set{kube.ProwJobTypeLabel: string(prowapi.PostsubmitJob)}).String()
	// No periodic resync: a resync only replays what the cache already holds.
	factory := externalversions.NewSharedInformerFactoryWithOptions(cs, 0,
		externalversions.WithNamespace(namespace),
		externalversions.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = postsubmits }),
	)
	pj := factory.Prow().V1().ProwJobs()
	return &informer{factory: factory, informer: pj.Informer(), lister: pj.Lister()}
}

// Start registers the handler, starts the informer and returns once both the
// cache is synced and every job of the initial list has been handed to the
// handler, so done runs that predate a restart are reported before Start
// returns. A list the API server refuses for good (forbidden, unauthorized,
// no such resource) ends the wait at once with that error; others are
// retried by the informer until timeout. It must be called once.
func (i *informer) Start(ctx context.Context, onDone func(Run), timeout time.Duration) error {
	if err := i.informer.AddIndexers(cache.Indexers{byRunKey: indexRunKey}); err != nil {
		return fmt.Errorf("indexing ProwJobs: %w", err)
	}
	syncCtx, cancel := syncDeadline(ctx, timeout)
	defer cancel()
	var mu sync.Mutex
	var last, refused error
	err := i.informer.SetWatchErrorHandler(func(r *cache.Reflector, err error) {
		cache.DefaultWatchErrorHandler(r, err)
		mu.Lock()
		defer mu.Unlock()
		last = err
		if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err) {
			refused = err
			cancel()
		}
	})
	if err != nil {
		return fmt.Errorf("watching ProwJobs: %w", err)
	}
	reg, err := i.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { reportAdd(obj, onDone, i.onRunning) },
		UpdateFunc: func(old, cur any) { reportUpdate(old, cur, onDone, i.onRunning) },
	})
	if err != nil {
		return fmt.Errorf("watching ProwJobs: %w", err)
	}
	i.factory.Start(ctx.Done())
	if cache.WaitForCacheSync(syncCtx.Done(), i.informer.HasSynced, reg.HasSynced) {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	switch {
	case refused != nil:
		return fmt.Errorf("listing ProwJobs was refused: %w", refused)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return errLast(context.Cause(syncCtx), last)
}

// reportAdd reports a job that is already done when first seen: after a
// restart that is how finished runs are seen again (the caller dedups). A
// job still running is reported as running.
func reportAdd(obj any, onDone, onRunning func(Run)) {
	r, ok := runOf(obj)
	switch {
	case !ok:
	case r.Done():
		onDone(r)
	case onRunning != nil:
		onRunning(r)
	}
}

// reportUpdate reports a job that has just finished (or whose final state
// changed), or that runs in a new state. Resyncs and other status updates
// are not reported.
func reportUpdate(old, cur any, onDone, onRunning func(Run)) {
	r, ok := runOf(cur)
	if !ok {
		return
	}
	prev, known := runOf(old)
	switch {
	case newlyDone(prev, known, r):
		onDone(r)
	case onRunning != nil && newlyRunning(prev, known, r):
		onRunning(r)
	}
}

func runOf(obj any) (Run, bool) {
	pj, ok := obj.(*prowapi.ProwJob)
	if !ok {
		return Run{}, false
	}
	return FromProwJob(pj)
}

// indexRunKey files a postsubmit under its run key; other jobs are not
// indexed, so Runs never sees them.
func indexRunKey(obj any) ([]string, error) {
	r, ok := runOf(obj)
	if !ok {
		return nil, nil
	}
	return []string{indexValue(keyOf(r))}, nil
}

// indexValue joins the key with NUL, which appears in none of its parts.
func indexValue(k runKey) string {
	return k.job + "\x00" + k.org + "\x00" + k.repo + "\x00" + k.baseRef
}

// Runs reads the cache's index. The cached objects are shared, so they are
// copied into fresh Runs and never handed out.
func (i *informer) Runs(job, org, repo, baseRef string) []Run {
	objs, err := i.informer.GetIndexer().ByIndex(byRunKey, indexValue(runKey{job, org, repo, baseRef}))
	if err != nil {
		// Only possible if Start has not added the index yet.
		return nil
	}
	runs := make([]Run, 0, len(objs))
	for _, obj := range objs {
		if r, ok := runOf(obj); ok {
			runs = append(runs, r)
		}
	}
	sortRuns(runs)
	return runs
}

// List returns every postsubmit run in the cache, newest first.
func (i *informer) List() []Run {
	pjs, err := i.lister.List(labels.Everything())
	if err != nil {
		return nil
	}
	runs := make([]Run, 0, len(pjs))
	for _, pj := range pjs {
		if r, ok := FromProwJob(pj); ok {
			runs = append(runs, r)
		}
	}
	sortRuns(runs)
	return runs
}
