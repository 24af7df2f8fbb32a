package promoter

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// report sets the `promotion` commit status on the tagged commit to match
// the promotion's stage, once per change. A failure to report is logged: it
// must not fail the promotion itself.
func (c *Controller) report(ctx context.Context, k Key, log *logrus.Entry) {
	if c.dryRun {
		return
	}
	st, ok := c.tracker.Get(k)
	if !ok || st.commit != "" {
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
	if err := c.github.SetStatus(ctx, owner(p.Repo), name(p.Repo), k.Tag, want); err != nil {
		log.WithError(err).Warn("Cannot set the promotion commit status.")
		return
	}
	c.tracker.update(k, func(s *Status) { s.reported = want })
}

// desiredStatus is what the commit status should say in this stage.
func desiredStatus(st Status) (pullrequest.CommitStatus, bool) {
	firstJob := ""
	if len(st.Jobs) > 0 {
		firstJob = st.Jobs[0]
	}
	switch st.Stage {
	case StageWaitingForJob:
		return pullrequest.CommitStatus{State: "pending", Description: "Waiting for the image job to succeed", URL: firstJob}, true
	case StagePROpen:
		return pullrequest.CommitStatus{State: "success", Description: "Image promotion PR is open", URL: st.PR}, true
	case StageAlreadyPromoted:
		return pullrequest.CommitStatus{State: "success", Description: "Already promoted: images.yaml has these digests"}, true
	case StageFailed:
		return pullrequest.CommitStatus{State: "failure", Description: fmt.Sprintf("Not promoted: %s", st.Error), URL: firstJob}, true
	case StageResolving:
		if st.Error != "" { // retrying: say why it is not done yet
			return pullrequest.CommitStatus{State: "pending", Description: st.Error, URL: firstJob}, true
		}
	}
	return pullrequest.CommitStatus{}, false
}
