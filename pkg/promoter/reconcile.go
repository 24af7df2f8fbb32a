package promoter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/manifest"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// reconcile brings one promotion to its goal for a snapshot of its request:
// fetch what is and compute what should be (plan), act (publish the PR),
// and return the status that records it. Every step is safe to repeat.
func (c *Controller) reconcile(ctx context.Context, k Key, snap snapshot, prev Status, log *logrus.Entry) (Status, error) {
	switch {
	case snap.watch:
		return c.watchLive(ctx, k, snap, prev, log)
	case prev.Stage == StageClosed && !snap.reopen:
		// A reviewer closed the PR: that is a decision, which events and
		// resyncs do not overturn; a trusted /promote does (Ask.Reopen).
		log.Info("The promotion PR was closed without merging; leaving it closed.")
		return prev, nil
	}
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
	case pl.covered != nil:
		// A person's open PR adds every digest: a second PR would only
		// split the review. Its link is the promotion's PR.
		log.WithField("pr", pl.covered.URL).Info("An open PR already adds these digests; opening none.")
		promotions.WithLabelValues("covered").Inc()
		st.Stage, st.PR = StagePROpen, pl.covered.URL
		st.Note = fmt.Sprintf("%s by @%s already adds these digests, so promoter opened no PR of its own", pl.covered.URL, pl.covered.Author)
		return st, nil
	case c.dryRun:
		c.dryRunReport(log, pl)
		st.Note = "dry run: the PR was not opened; its diff is in the log"
		return st, nil
	}
	pl.prop.KnownPR, pl.prop.Reopen = prNumber(prev.PR), snap.reopen
	out, err := c.github.Publish(ctx, pl.prop)
	if err != nil {
		return st, gitHubError(err)
	}
	if out.Closed {
		log.WithFields(logrus.Fields{"pr": out.URL, "closed-by": out.ClosedBy}).Info("The promotion PR was closed without merging; leaving it closed.")
		st.Stage, st.PR, st.ClosedBy = StageClosed, out.URL, out.ClosedBy
		st.Note = closedNote(k, out.ClosedBy)
		return st, nil
	}
	c.published(log, out, pl.jobs)
	st.Stage, st.PR = StagePROpen, out.URL
	if out.Reopened {
		st.Note = "the closed PR was reopened, as a /promote asked"
	}
	return st, nil
}

// closedNote says who closed a promotion PR and what reopens it.
func closedNote(k Key, by string) string {
	who := "a reviewer"
	if by != "" {
		who = "@" + by
	}
	return fmt.Sprintf("%s closed the PR without merging it; promoter leaves it closed until a trusted `/promote %s` reopens it", who, k.Tag)
}

// prNumber is the number at the end of a PR link, 0 if none.
func prNumber(url string) int {
	_, n, ok := strings.Cut(url, "/pull/")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(n)
	if err != nil {
		return 0
	}
	return v
}

func (c *Controller) published(log *logrus.Entry, out pullrequest.Outcome, jc jobCheck) {
	outcome := "pr-unchanged"
	switch {
	case out.Created:
		outcome = "pr-opened"
	case out.Reopened:
		outcome = "pr-reopened"
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
