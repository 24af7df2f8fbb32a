package pullrequest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// OpenPR is an open PR on the manifest repository that is not promoter's:
// a person's promotion PR, perhaps for the same digests.
type OpenPR struct {
	Number  int
	URL     string
	Author  string
	HeadSHA string // changes when the PR does: what was read of it can be kept until then
}

// Added is one digest a PR adds to an images.yaml.
type Added struct {
	Path   string   // the images.yaml
	Image  string   // the image's block, when the diff shows it
	Digest string   // sha256:...
	Tags   []string // the tags on the added line
}

// AddedDigests reads which digests PR number adds to which images.yaml
// files, from the patches GitHub serves for its files (one call per 100
// files; promotion PRs touch one or two).
func (p *Publisher) AddedDigests(ctx context.Context, r Repo, number int) ([]Added, error) {
	var out []Added
	for page := 1; page <= 3; page++ {
		q := url.Values{"per_page": {fmt.Sprint(perPage)}, "page": {fmt.Sprint(page)}}
		path := fmt.Sprintf("/repos/%s/%s/pulls/%d/files?%s", r.Org, r.Name, number, q.Encode())
		var files []struct {
			Filename string `json:"filename"`
			Patch    string `json:"patch"`
		}
		if _, err := p.rest.do(ctx, "ListPullRequestFiles", http.MethodGet, path, nil, "", &files); err != nil {
			return nil, named(fmt.Errorf("reading the files of PR #%d: %w", number, err))
		}
		for _, f := range files {
			if strings.HasSuffix(f.Filename, "images.yaml") {
				out = append(out, addedIn(f.Filename, f.Patch)...)
			}
		}
		if len(files) < perPage {
			break
		}
	}
	return out, nil
}

var (
	addedDigest = regexp.MustCompile(`^\+\s+"?(sha256:[0-9a-f]{64})"?\s*:\s*(.*)$`)
	nameLine    = regexp.MustCompile(`^[ +]- name:\s*"?([^"\s]+)"?\s*$`)
	hunkHeader  = regexp.MustCompile(`^@@ `)
	quotedTag   = regexp.MustCompile(`[\w][\w.+-]*`)
)

// addedIn reads the added digest lines of one file's unified diff, with the
// image block each sits in when the hunk shows its "- name:" line.
func addedIn(path, patch string) []Added {
	var out []Added
	image := ""
	for _, line := range strings.Split(patch, "\n") {
		switch {
		case hunkHeader.MatchString(line):
			image = ""
		case nameLine.MatchString(line):
			image = nameLine.FindStringSubmatch(line)[1]
		case addedDigest.MatchString(line):
			m := addedDigest.FindStringSubmatch(line)
			out = append(out, Added{Path: path, Image: image, Digest: m[1], Tags: quotedTag.FindAllString(m[2], -1)})
		}
	}
	return out
}
