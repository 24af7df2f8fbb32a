package promoter

import (
	"context"
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/source"
)

// report sets the `promotion` commit status on the released commit to match
// the promotion's stage, once per change. A failure to report is logged: it
// must not fail the promotion itself.
func (c *Controller) report(ctx context.Context, k Key, fresh bool, log *logrus.Entry) {
	if c.dryRun || c.source == nil {
		return
	}
	st, ok := c.tracker.Get(k)
	if !ok || st.merged || st.Commit == "" {
		return // a merged PR's builds: the reply on the PR is the report
	}
	want, ok := desiredStatus(st)
	if !ok || want == st.reported {
		return
	}
	p := c.config().Project(k.Project)
	if p == nil {
		return
	}
	if st.reported == (source.Status{}) && !fresh {
		// A rebuild after a restart: GitHub may already say this (a read,
		// not one of GitHub's 80 content-creating requests a minute).
		if have, err := c.source.Status(ctx, owner(p.Repo), name(p.Repo), st.Commit); err == nil && have == want.Stored() {
			c.tracker.reported(k, want)
			return
		}
	}
	if err := c.source.SetStatus(ctx, owner(p.Repo), name(p.Repo), st.Commit, want); err != nil {
		log.WithError(err).Warn("Cannot set the promotion commit status.")
		return
	}
	c.tracker.reported(k, want)
}

// desiredStatus is what the commit status should say in this stage.
func desiredStatus(st Status) (source.Status, bool) {
	firstJob := ""
	if len(st.Jobs) > 0 {
		firstJob = st.Jobs[0]
	}
	switch st.Stage {
	case StageWaitingForJob:
		return source.Status{State: "pending", Description: "Waiting for the image job to succeed", URL: firstJob}, true
	case StagePROpen:
		return source.Status{State: "success", Description: "Image promotion PR is open", URL: st.PR}, true
	case StageAlreadyPromoted:
		return source.Status{State: "success", Description: "Already promoted: images.yaml has these digests"}, true
	case StageFailed:
		return source.Status{State: "failure", Description: fmt.Sprintf("Not promoted: %s", st.Error), URL: firstJob}, true
	case StageClosed:
		return source.Status{State: "failure", Description: "The promotion PR was closed without merging; /promote " + st.Tag + " reopens it", URL: st.PR}, true
	case StageMerged:
		return source.Status{State: "pending", Description: "Promotion PR merged; waiting for the images to be live", URL: st.PR}, true
	case StageLive:
		return source.Status{State: "success", Description: "Live: " + strings.Join(refs(st.Production), ", "), URL: st.PR}, true
	case StageResolving:
		if st.Error != "" { // retrying: say why it is not done yet
			return source.Status{State: "pending", Description: st.Error, URL: firstJob}, true
		}
	}
	return source.Status{}, false
}

// refs are production references without their digests, short enough for a
// commit status.
func refs(production []string) []string {
	out := make([]string, len(production))
	for i, p := range production {
		out[i], _, _ = strings.Cut(p, "@")
	}
	return out
}
