package promoter

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/manifest"
	"sigs.k8s.io/promoter/pkg/promoter/source"
	"sigs.k8s.io/promoter/pkg/promoter/trust"
)

// Command is one parsed /promote command.
type Command struct {
	DryRun bool
	Tag    string   // "" for the bare form
	Images []string // nil: every image the tag releases
	Err    error    // malformed: the message is the reply
}

// CommentRequest is a new comment holding /promote commands.
type CommentRequest struct {
	Org, Repo string
	Number    int  // the issue or PR
	IsPR      bool // Number is a pull request
	CommentID int
	User      string
	// Association is the comment's author_association in the webhook.
	Association string
	Commands    []Command
}

// Comment handles a comment's commands in the background: an "eyes"
// reaction at once, then one reply per command. It never blocks and makes
// no call before it returns, so the webhook is answered first.
func (c *Controller) Comment(req CommentRequest) {
	if c.source == nil || c.trust == nil || c.dryRun {
		c.log.WithField("repo", req.Org+"/"+req.Repo).Info("Ignoring /promote: this promoter writes nothing to GitHub.")
		return
	}
	if c.standby.Load() {
		// Kept to answer should this replica lead; the leader was not
		// reachable, or the comment would have been handed to it.
		c.mu.Lock()
		c.held = append(c.held, req)
		c.mu.Unlock()
		return
	}
	go func() {
		c.comments <- struct{}{} // bound the comments in work at once
		defer func() { <-c.comments }()
		ctx, cancel := context.WithTimeout(context.Background(), c.attemptTimeout)
		defer cancel()
		c.handleComment(ctx, req)
	}()
}

func (c *Controller) handleComment(ctx context.Context, req CommentRequest) {
	log := c.log.WithFields(logrus.Fields{"repo": req.Org + "/" + req.Repo, "number": req.Number, "user": req.User})
	if err := c.source.React(ctx, req.Org, req.Repo, req.CommentID); err != nil {
		log.WithError(err).Warn("Cannot react to the comment.")
	}
	for _, cmd := range req.Commands {
		c.command(ctx, req, cmd, c.replier(req, log), log)
	}
}

// replier posts one answer to the comment's author. Replies that come when
// a round settles run on their own context: the comment's may be over.
func (c *Controller) replier(req CommentRequest, log *logrus.Entry) func(string) {
	return func(text string) {
		ctx, cancel := context.WithTimeout(context.Background(), c.attemptTimeout)
		defer cancel()
		if err := c.source.Reply(ctx, req.Org, req.Repo, req.Number, fmt.Sprintf("@%s: %s", req.User, text)); err != nil {
			log.WithError(err).Warn("Cannot reply to /promote.")
		}
	}
}

// command checks one command and runs it; reply is called exactly once,
// now or when the promotion settles.
func (c *Controller) command(ctx context.Context, req CommentRequest, cmd Command, reply func(string), log *logrus.Entry) {
	if cmd.Err != nil {
		reply(cmd.Err.Error())
		return
	}
	projects := c.config().ProjectsFor(req.Org + "/" + req.Repo)
	allowed := allowances(projects)
	asker := trust.Asker{Org: req.Org, Repo: req.Repo, User: req.User, Association: req.Association}
	if !trust.ByAssociation(asker.Association) && !trust.Named(asker.User, allowed) {
		allowed.Approvers = c.approvers(ctx, projects, log)
	}
	ok, err := c.trust.Trusted(ctx, asker, allowed)
	switch {
	case !ok && err != nil:
		log.WithError(err).Warn("Cannot check who may /promote.")
		reply(fmt.Sprintf("I could not confirm that you may use `/promote`: only %s can, and GitHub did not answer every check (%v). If you are one of them, try again later, or ask one of them to run it.",
			trust.WhoMay(req.Org, req.Repo, allowed), err))
		return
	case !ok:
		reply(fmt.Sprintf("only %s can use `/promote`.", trust.WhoMay(req.Org, req.Repo, allowed)))
		return
	case cmd.Tag == "":
		c.promoteMerged(ctx, req, projects, cmd, reply, log)
		return
	}
	p, err := c.commandProject(ctx, req, projects, cmd)
	if err != nil {
		reply(err.Error())
		return
	}
	k := Key{Project: p.Name, Tag: cmd.Tag}
	if cmd.DryRun {
		reply(c.preview(ctx, k, cmd.Images))
		return
	}
	log.WithFields(logrus.Fields{"project": k.Project, "tag": k.Tag}).Info("/promote: promotion queued.")
	// A trusted /promote is the one thing that reopens a PR a reviewer
	// closed.
	c.Request(k, Ask{Images: cmd.Images, Prompt: true, Reopen: true, Reply: func(st Status) { reply(outcome(st)) }})
}

// promoteMerged promotes the builds of a merged PR's merge commit, each
// image under its staging tag, for every project of the repository.
func (c *Controller) promoteMerged(ctx context.Context, req CommentRequest, projects []*config.Project, cmd Command, reply func(string), log *logrus.Entry) {
	if !req.IsPR {
		reply("`/promote` alone promotes the builds of a merged pull request; in an issue, use `/promote <git-tag> [image...]`.")
		return
	}
	pr, err := c.source.Pull(ctx, req.Org, req.Repo, req.Number)
	switch {
	case err != nil:
		reply(fmt.Sprintf("I could not read this pull request on GitHub (%v); please try again later.", err))
		return
	case pr.Open:
		reply("this pull request is not merged yet; `/promote` alone promotes a merged PR's builds, once its postsubmit image job has run.")
		return
	case !pr.Merged || pr.MergeSHA == "":
		reply("this pull request was closed without merging, so nothing was built from it to promote.")
		return
	}
	for _, p := range projects {
		rel, err := p.ReleaseCommit(pr.MergeSHA)
		if err != nil {
			reply(err.Error())
			return
		}
		k := Key{Project: p.Name, Tag: rel.GitTag}
		log.WithFields(logrus.Fields{"project": k.Project, "commit": pr.MergeSHA}).Info("/promote: merged PR's builds queued.")
		c.Request(k, Ask{Images: cmd.Images, Commit: pr.MergeSHA, Prompt: true, Reopen: true, Reply: func(st Status) { reply(outcome(st)) }})
	}
}

// commandProject finds the project the command's tag releases, checking
// the tag and the images a maintainer named.
func (c *Controller) commandProject(ctx context.Context, req CommentRequest, projects []*config.Project, cmd Command) (*config.Project, error) {
	_, err := c.source.TagCommit(ctx, req.Org, req.Repo, cmd.Tag)
	switch {
	case errors.Is(err, source.ErrNoSuchTag):
		return nil, fmt.Errorf("there is no tag `%s` in %s/%s; push the tag first", cmd.Tag, req.Org, req.Repo)
	case err != nil:
		//lint:ignore ST1005 the error is the reply to a maintainer, and "I" is a word
		return nil, fmt.Errorf("I could not look up tag `%s` on GitHub (%v); please try again later", cmd.Tag, err)
	}
	var patterns []string
	for _, p := range projects {
		if !p.Matches(cmd.Tag) {
			patterns = append(patterns, fmt.Sprintf("%s: `%s`", p.Name, p.GitTags))
			continue
		}
		rel, err := p.Release(cmd.Tag, "")
		if err != nil {
			return nil, err
		}
		for _, img := range cmd.Images {
			if !slices.ContainsFunc(rel.Images, func(r config.ImageRelease) bool { return r.Name == img }) {
				return nil, fmt.Errorf("tag `%s` does not release an image `%s` of project %s (it releases %s)", cmd.Tag, img, p.Name, names(rel.Images))
			}
		}
		return p, nil
	}
	return nil, fmt.Errorf("tag `%s` is not a release tag of any project of this repository (%s)", cmd.Tag, strings.Join(patterns, "; "))
}

// preview runs the same plan a real attempt would run now, with the same
// inputs (the pending request's clock, if a round is under way), and says
// what it would do: wait, fail, or open this PR.
func (c *Controller) preview(ctx context.Context, k Key, images []string) string {
	snap := snapshot{since: c.now(), only: images}
	c.mu.Lock()
	if r, ok := c.requests[k]; ok {
		snap.since = r.since
	}
	c.mu.Unlock()
	pl, err := c.plan(ctx, k, snap, forPreview)
	var wait string
	if len(pl.jobs.waiting) > 0 {
		wait = "the promotion would first wait: " + strings.Join(pl.jobs.waiting, "; ")
	}
	switch {
	case err != nil && wait != "":
		return fmt.Sprintf("dry run for `%s`: %s; after that: %v", k.Tag, wait, err)
	case err != nil:
		return fmt.Sprintf("dry run for `%s`: no PR would be opened now: %v", k.Tag, err)
	case pl.promoted():
		return fmt.Sprintf("dry run for `%s`: already promoted; images.yaml has every digest and tag.", k.Tag)
	}
	lead := "this is the PR I would open"
	if wait != "" {
		lead = wait + ". Then " + lead
	}
	diff := manifest.Diff(pl.prop.Path, pl.old, pl.prop.Content)
	return fmt.Sprintf("dry run: %s on %s/%s, from branch `%s`.\n\n"+
		"```diff\n%s```\n\n<details><summary>%s</summary>\n\n%s\n</details>\n",
		lead, pl.prop.Base.Org, pl.prop.Base.Name, pl.prop.Branch, diff, pl.prop.Title, quoteMentions(pl.prop.Body))
}

// outcome is the reply once a /promote's promotion settles (or, for an
// image nobody is building, while it goes on waiting).
func outcome(st Status) string {
	switch st.Stage {
	case StagePROpen:
		if st.Note != "" {
			return fmt.Sprintf("the promotion PR for `%s` is open: %s (%s)%s", st.Tag, st.PR, st.Note, digests(st))
		}
		return fmt.Sprintf("the promotion PR for `%s` is open: %s%s", st.Tag, st.PR, digests(st))
	case StageAlreadyPromoted:
		return fmt.Sprintf("`%s` is already promoted: images.yaml has every digest and tag.%s", st.Tag, digests(st))
	case StageFailed:
		return fmt.Sprintf("`%s` was not promoted: %s", st.Tag, st.Error)
	case StageClosed:
		return fmt.Sprintf("the promotion PR for `%s` was closed without merging: %s (%s)", st.Tag, st.PR, st.Note)
	}
	if !st.done {
		return fmt.Sprintf("`%s` is not promoted yet: %s; %s.", st.Tag, st.Error, st.Note)
	}
	return fmt.Sprintf("`%s` dry run: %s", st.Tag, st.Note)
}

func digests(st Status) string {
	var b strings.Builder
	for _, img := range st.Images {
		fmt.Fprintf(&b, "\n- %s `%s` as `%s` (staging tag `%s`)", img.Name, img.Digest, img.Tag, img.StagingTag)
	}
	return b.String()
}

func allowances(ps []*config.Project) trust.Allowed {
	var a trust.Allowed
	for _, p := range ps {
		a.Users = append(a.Users, p.AllowedUsers...)
		a.Teams = append(a.Teams, p.AllowedTeams...)
	}
	return a
}

func names(imgs []config.ImageRelease) string {
	out := make([]string, len(imgs))
	for i, img := range imgs {
		out[i] = "`" + img.Name + "`"
	}
	return strings.Join(out, ", ")
}

var (
	ccLine       = regexp.MustCompile("(?m)^(/cc .*)$")
	metadataLine = regexp.MustCompile("(?m)^<!-- promoter-metadata .*-->\n?")
)

// quoteMentions keeps a preview from pinging the reviewers (the /cc line is
// shown as code, where mentions do not notify) and leaves out the hidden
// metadata, which belongs to the PR only.
func quoteMentions(body string) string {
	return ccLine.ReplaceAllString(metadataLine.ReplaceAllString(body, ""), "`$1`")
}
