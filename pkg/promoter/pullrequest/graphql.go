package pullrequest

import (
	"context"
	"fmt"
	"strings"

	githubql "github.com/shurcooL/githubv4"
)

// The GraphQL calls Prow's client makes for us. shurcooL/graphql builds the
// document from these Go types, and takes an input's GraphQL type name from
// its Go type name: CreateCommitOnBranchInput must keep that exact name.

type branchState struct {
	repoID githubql.ID
	exists bool
	refID  githubql.ID
	head   string
	blob   string // the file's blob id on the branch, "" when absent
}

// branchState reads, in one query, the fork's id, the branch's ref and the
// blob the branch holds at path.
func (p *Publisher) branchState(ctx context.Context, owner, repo, branch, path string) (branchState, error) {
	var q struct {
		Repository struct {
			ID  githubql.ID
			Ref *struct {
				ID     githubql.ID
				Target struct{ Oid githubql.GitObjectID }
			} `graphql:"ref(qualifiedName: $ref)"`
			Object *struct {
				Blob struct{ Oid githubql.GitObjectID } `graphql:"... on Blob"`
			} `graphql:"object(expression: $expr)"`
		} `graphql:"repository(owner: $owner, name: $name)"`
	}
	vars := map[string]interface{}{
		"owner": githubql.String(owner),
		"name":  githubql.String(repo),
		"ref":   githubql.String("refs/heads/" + branch),
		"expr":  githubql.String("refs/heads/" + branch + ":" + path),
	}
	p.count("GraphQL branchState")
	if err := p.gh.QueryWithGitHubAppsSupport(ctx, &q, vars, owner); err != nil {
		return branchState{}, fmt.Errorf("reading branch %s of %s/%s: %w", branch, owner, repo, err)
	}
	st := branchState{repoID: q.Repository.ID}
	if r := q.Repository.Ref; r != nil {
		st.exists, st.refID, st.head = true, r.ID, string(r.Target.Oid)
	}
	if o := q.Repository.Object; o != nil {
		st.blob = string(o.Blob.Oid)
	}
	return st, nil
}

// createRef creates the branch at sha and returns the new ref's id, which
// deleteRef takes, so undoing it needs no lookup.
func (p *Publisher) createRef(ctx context.Context, owner string, repoID githubql.ID, branch, sha string) (githubql.ID, error) {
	var m struct {
		CreateRef struct {
			Ref struct{ ID githubql.ID }
		} `graphql:"createRef(input: $input)"`
	}
	in := githubql.CreateRefInput{RepositoryID: repoID, Name: githubql.String("refs/heads/" + branch), Oid: githubql.GitObjectID(sha)}
	p.count("GraphQL createRef")
	if err := p.gh.MutateWithGitHubAppsSupport(ctx, &m, in, nil, owner); err != nil {
		return nil, fmt.Errorf("creating branch %s at %.12s: %w", branch, sha, err)
	}
	return m.CreateRef.Ref.ID, nil
}

func (p *Publisher) deleteRef(ctx context.Context, owner string, refID githubql.ID) error {
	var m struct {
		DeleteRef struct {
			ClientMutationID *githubql.String
		} `graphql:"deleteRef(input: $input)"`
	}
	p.count("GraphQL deleteRef")
	if err := p.gh.MutateWithGitHubAppsSupport(ctx, &m, githubql.DeleteRefInput{RefID: refID}, nil, owner); err != nil {
		return fmt.Errorf("deleting the promotion branch: %w", err)
	}
	return nil
}

func (p *Publisher) updateRef(ctx context.Context, owner string, refID githubql.ID, sha string) error {
	var m struct {
		UpdateRef struct {
			Ref struct{ ID githubql.ID }
		} `graphql:"updateRef(input: $input)"`
	}
	force := githubql.Boolean(true)
	in := githubql.UpdateRefInput{RefID: refID, Oid: githubql.GitObjectID(sha), Force: &force}
	p.count("GraphQL updateRef")
	if err := p.gh.MutateWithGitHubAppsSupport(ctx, &m, in, nil, owner); err != nil {
		return fmt.Errorf("resetting the promotion branch to %.12s: %w", sha, err)
	}
	return nil
}

// CreateCommitOnBranchInput is GitHub's input type; githubv4 at our version
// does not have it.
type CreateCommitOnBranchInput struct {
	Branch          CommittableBranch    `json:"branch"`
	Message         CommitMessage        `json:"message"`
	FileChanges     FileChanges          `json:"fileChanges"`
	ExpectedHeadOid githubql.GitObjectID `json:"expectedHeadOid"`
}

// CommittableBranch names the branch to commit on.
type CommittableBranch struct {
	RepositoryNameWithOwner string `json:"repositoryNameWithOwner"`
	BranchName              string `json:"branchName"`
}

// CommitMessage is a commit's headline and body.
type CommitMessage struct {
	Headline string `json:"headline"`
	Body     string `json:"body,omitempty"`
}

// FileChanges lists files to write. Contents are base64 (githubv4 has no
// Base64String type at our version; a plain string is what GitHub reads).
type FileChanges struct {
	Additions []FileAddition `json:"additions,omitempty"`
}

// FileAddition is one file's new content.
type FileAddition struct {
	Path     string `json:"path"`
	Contents string `json:"contents"`
}

// commit writes the file on the branch, which must point at BaseSHA: the
// expected head makes a concurrent writer's change fail instead of being
// overwritten.
func (p *Publisher) commit(ctx context.Context, nameWithOwner string, prop Proposal) error {
	headline, body, _ := strings.Cut(prop.Message, "\n")
	in := CreateCommitOnBranchInput{
		Branch:          CommittableBranch{RepositoryNameWithOwner: nameWithOwner, BranchName: prop.Branch},
		Message:         CommitMessage{Headline: headline, Body: strings.TrimSpace(body)},
		FileChanges:     FileChanges{Additions: []FileAddition{{Path: prop.Path, Contents: encode(prop.Content)}}},
		ExpectedHeadOid: githubql.GitObjectID(prop.BaseSHA),
	}
	var m struct {
		CreateCommitOnBranch struct {
			Commit struct{ Oid githubql.GitObjectID }
		} `graphql:"createCommitOnBranch(input: $input)"`
	}
	p.count("GraphQL createCommitOnBranch")
	if err := p.gh.MutateWithGitHubAppsSupport(ctx, &m, in, nil, strings.Split(nameWithOwner, "/")[0]); err != nil {
		return fmt.Errorf("committing %s on %s:%s: %w", prop.Path, nameWithOwner, prop.Branch, err)
	}
	return nil
}
