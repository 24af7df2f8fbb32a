package promoter

import (
	"slices"
	"time"
)

// Ask is one request for a promotion: a tag push, a finished image job, a
// resync, or a /promote command.
type Ask struct {
	// Images limits the promotion to these images; nil asks for every
	// image the release has.
	Images []string
	// Commit is a merged PR's merge commit: promote its builds, each under
	// its staging tag (the key's Tag is the commit's short SHA).
	Commit string
	// Prompt: a person asked and wants an answer rather than a wait for a
	// staging image that no job is building.
	Prompt bool
	// TagCommit is the tagged commit as the push event says it
	// (head_commit), which saves looking it up.
	TagCommit string
	// Rebuild: asked by the state rebuild (a resync, a finished job run),
	// not by an event of this moment: what promoter reported before a
	// restart may still stand, so the commit status is read before it is
	// written.
	Rebuild bool
	// Reopen: a PR of this promotion that a reviewer closed is opened
	// again (a trusted /promote). Nothing else reopens a closed PR.
	Reopen bool
	// Watch: the promotion PR merged at Merged; watch the production
	// registry until every promoted tag is live.
	Watch  bool
	Merged time.Time
	// Reply, if set, is told the status once the round that covers this
	// ask settles (or at once, for a prompt ask whose image is missing
	// while others keep waiting).
	Reply func(Status)
}

// request is every ask for a key not yet settled, merged. An attempt takes
// a snapshot; only what the snapshot covered is settled when it ends, so an
// ask arriving meanwhile is never lost.
type request struct {
	all       bool            // some ask wants every image
	images    map[string]bool // the images asked for, when not all
	commit    string
	tagCommit string
	wait      bool // some ask (not a person) waits for builds to appear
	fresh     bool // some ask came from an event of this moment (not a rebuild)
	reopen    bool
	watch     bool
	merged    time.Time
	replies   []*reply
	since     time.Time // the first ask of this round: jobTimeout and jobWindow count from here
	gen       int       // bumped by every merge
}

type reply struct {
	prompt bool
	tell   func(Status)
}

// drop removes the given replies (answered) from the request.
func (r *request) drop(done []*reply) {
	r.replies = slices.DeleteFunc(r.replies, func(x *reply) bool { return slices.Contains(done, x) })
}

// merge adds an ask: every image wins over a subset, waiting wins over
// answering at once, and each ask keeps its own reply.
func (r *request) merge(a Ask) {
	if a.Images == nil {
		r.all, r.images = true, nil
	} else if !r.all {
		if r.images == nil {
			r.images = map[string]bool{}
		}
		for _, img := range a.Images {
			r.images[img] = true
		}
	}
	if a.Commit != "" {
		r.commit = a.Commit
	}
	if a.TagCommit != "" {
		r.tagCommit = a.TagCommit
	}
	r.fresh = r.fresh || !a.Rebuild
	r.reopen = r.reopen || a.Reopen
	if a.Watch {
		r.watch, r.merged = true, a.Merged
	}
	r.wait = r.wait || !a.Prompt
	if a.Reply != nil {
		r.replies = append(r.replies, &reply{prompt: a.Prompt, tell: a.Reply})
	}
	r.gen++
}

// snapshot is what one attempt works on.
type snapshot struct {
	only      []string // nil: every image
	commit    string
	tagCommit string
	fresh     bool
	reopen    bool
	watch     bool
	merged    time.Time
	wait      bool
	since     time.Time
	gen       int
	replies   []*reply // the replies this attempt answers when it settles
}

func (r *request) snapshot() snapshot {
	s := snapshot{commit: r.commit, tagCommit: r.tagCommit, fresh: r.fresh, reopen: r.reopen, watch: r.watch, merged: r.merged,
		wait: r.wait, since: r.since, gen: r.gen, replies: slices.Clone(r.replies)}
	if !r.all {
		for img := range r.images {
			s.only = append(s.only, img)
		}
		slices.Sort(s.only)
	}
	return s
}
