package promoter

import (
	"context"
	"time"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/manifest"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// reconcile brings one promotion to its goal for a snapshot of its request:
// fetch what is and compute what should be (plan), act (publish the PR),
// and return the status that records it. Every step is safe to repeat.
func (c *Controller) reconcile(ctx context.Context, k Key, snap snapshot, prev Status, log *logrus.Entry) (Status, error) {
	st := Status{
		Project: k.Project, Tag: k.Tag, Stage: StageResolving, Started: snap.since, Only: snap.only, PR: prev.PR,
		reported: prev.reported, merged: snap.commit != "",
	}
	pl, err := c.plan(ctx, k, snap, forReal)
	pl.record(&st)
	var w *waitError
	switch {
	case err != nil && asWait(err, &w) && w.forJob:
		st.Stage = StageWaitingForJob
		return st, err
	case err != nil:
		return st, err
	case pl.promoted():
		log.Info("Already promoted: images.yaml has every digest and tag.")
		promotions.WithLabelValues("already-promoted").Inc()
		st.Stage = StageAlreadyPromoted
		return st, nil
	case c.dryRun:
		c.dryRunReport(log, pl)
		st.Note = "dry run: the PR was not opened; its diff is in the log"
		return st, nil
	}
	out, err := c.github.Publish(ctx, pl.prop)
	if err != nil {
		return st, gitHubError(err)
	}
	c.published(log, out, pl.jobs)
	st.Stage, st.PR = StagePROpen, out.URL
	return st, nil
}

func (c *Controller) published(log *logrus.Entry, out pullrequest.Outcome, jc jobCheck) {
	outcome := "pr-unchanged"
	switch {
	case out.Created:
		outcome = "pr-opened"
	case out.Pushed || out.Edited:
		outcome = "pr-refreshed"
	}
	promotions.WithLabelValues(outcome).Inc()
	if out.Created && !jc.doneAt.IsZero() {
		jobToPR.Observe(time.Since(jc.doneAt).Seconds())
	}
	log.WithFields(logrus.Fields{"pr": out.URL, "outcome": outcome}).Info("Promotion PR is open.")
}

// dryRunReport logs what would be proposed and writes nothing.
func (c *Controller) dryRunReport(log *logrus.Entry, pl *plan) {
	promotions.WithLabelValues("dry-run").Inc()
	log.WithFields(logrus.Fields{
		"branch": pl.prop.Branch, "title": pl.prop.Title, "diff": manifest.Diff(pl.prop.Path, pl.old, pl.prop.Content),
	}).Info("Dry run: would open this promotion PR.")
}
