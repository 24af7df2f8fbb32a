package hook

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sirupsen/logrus"
	"sigs.k8s.io/prow/pkg/github"

	"sigs.k8s.io/promoter/pkg/promoter"
)

// comment hands a new comment's /promote commands to the controller.
// Edited and deleted comments, other repositories, the bot's own comments
// and comments with no command are ignored.
func (s *Server) comment(body []byte, log *logrus.Entry) (int, string) {
	var ev github.IssueCommentEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return http.StatusBadRequest, "400 Bad Request: malformed issue_comment event"
	}
	// Prow's IssueComment has no author_association; GitHub sends it.
	var assoc struct {
		Comment struct {
			AuthorAssociation string `json:"author_association"`
		} `json:"comment"`
	}
	json.Unmarshal(body, &assoc)
	log = log.WithFields(logrus.Fields{"repo": ev.Repo.FullName, "number": ev.Issue.Number, "user": ev.Comment.User.Login})
	switch {
	case ev.Action != github.IssueCommentActionCreated:
		log.Debug("Ignoring a comment that was not just created.")
		return http.StatusOK, "ignored: " + string(ev.Action)
	case len(s.config().ProjectsFor(ev.Repo.FullName)) == 0:
		log.Debug("Ignoring a comment in a repository no project names.")
		return http.StatusOK, "ignored: repository not configured"
	case !strings.Contains(strings.ToLower(ev.Comment.Body), "/promote"):
		return http.StatusOK, "ignored: no command"
	case s.IsBot != nil && s.IsBot(ev.Comment.User.Login):
		log.Debug("Ignoring promoter's own comment.")
		return http.StatusOK, "ignored: own comment"
	}
	cmds := ParseCommands(ev.Comment.Body)
	if len(cmds) == 0 {
		return http.StatusOK, "ignored: no command"
	}
	req := promoter.CommentRequest{
		Org: ev.Repo.Owner.Login, Repo: ev.Repo.Name, Number: ev.Issue.Number, IsPR: ev.Issue.IsPullRequest(),
		CommentID: ev.Comment.ID, User: ev.Comment.User.Login, Association: assoc.Comment.AuthorAssociation,
	}
	for _, c := range cmds {
		req.Commands = append(req.Commands, promoter.Command{DryRun: c.DryRun, Tag: c.Tag, Images: c.Images, Err: c.Err})
	}
	s.queue.Comment(req)
	log.WithField("commands", len(cmds)).Info("/promote: commands queued.")
	return http.StatusOK, "queued"
}
