package hook

import (
	"fmt"
	"html"
	"strings"

	prowconfig "sigs.k8s.io/prow/pkg/config"
	"sigs.k8s.io/prow/pkg/pluginhelp"
	"sigs.k8s.io/prow/pkg/pluginhelp/externalplugins"

	"sigs.k8s.io/promoter/pkg/promoter/config"
)

// HelpProvider describes the plugin for Deck's plugin page (hook asks
// POST /help with the repos the plugin is enabled on).
func HelpProvider(cfg func() *config.Config) externalplugins.ExternalPluginHelpProvider {
	return func(repos []prowconfig.OrgRepo) (*pluginhelp.PluginHelp, error) {
		c := cfg()
		h := &pluginhelp.PluginHelp{
			Description: fmt.Sprintf("promoter opens the image-promotion pull request on %s when a release tag is pushed: "+
				"it finds the staging build of each image, checks it (the multi-arch index, no tag moves, no <code>latest</code>), "+
				"adds the digests to the project's images.yaml with a minimal diff, and opens exactly one PR per tag from its bot's fork "+
				"(none when someone's open PR already adds those digests). A PR a reviewer closes stays closed until a trusted <code>/promote</code> reopens it. "+
				"Once the PR merges it watches the production registry until every promoted tag is live, and says so on the PR. "+
				"The <code>promotion</code> commit status on the tagged commit, and promoter's <code>/promotions</code> page, follow each promotion through its stages: "+
				"waiting-for-job, resolving, pr-open, already-promoted, closed, merged, live, failed.",
				html.EscapeString(c.ManifestRepo)),
			Config: map[string]string{},
			Snippet: `projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  stagingTag: 'v\d{8}-(?:.+-g)?{{.Commit}}'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  reviewers: [hh]
  requireMultiArch: true`,
		}
		h.Commands = commandsHelp()
		for _, r := range repos {
			var lines []string
			for _, p := range c.ProjectsFor(r.String()) {
				names := make([]string, len(p.Images))
				for i, img := range p.Images {
					names[i] = img.Name
				}
				lines = append(lines, fmt.Sprintf("Tags matching <code>%s</code> promote %s of staging project <code>k8s-staging-%s</code> into <code>%s</code>.",
					html.EscapeString(p.GitTags), html.EscapeString(strings.Join(names, ", ")), html.EscapeString(p.Name), html.EscapeString(p.ManifestPath)))
			}
			if len(lines) == 0 {
				lines = []string{"No promoter project is configured for this repository."}
			}
			h.Config[r.String()] = strings.Join(lines, "<br>")
		}
		return h, nil
	}
}

func commandsHelp() []pluginhelp.Command {
	who := "Members of the repository's GitHub organization and its collaborators (GitHub's author_association), " +
		"the approvers of the project's images in kubernetes/k8s.io (its OWNERS), " +
		"and the users and teams a project lists in <code>allowedUsers</code> / <code>allowedTeams</code>."
	return []pluginhelp.Command{
		{
			Usage: "/promote <git-tag> [image...]",
			Description: "Promotes the staging images a release tag built: waits for the image job if it still runs, " +
				"then opens (or refreshes, or reopens if a reviewer closed it) the one promotion PR; with image names, only those images. " +
				"Replies with the PR and the digests, or why not.",
			Featured:  true,
			Examples:  []string{"/promote v1.2.3", "/promote v1.2.3 snoopdb"},
			WhoCanUse: who,
		},
		{
			Usage: "/promote",
			Description: "On a merged pull request: promotes the staging builds of its merge commit " +
				"(staging tags ending in its short SHA), each under its staging tag. On an open or unmerged PR it says why not.",
			Examples:  []string{"/promote"},
			WhoCanUse: who,
		},
		{
			Usage:       "/promote dry-run <git-tag> [image...]",
			Description: "Replies with the images.yaml diff and the PR it would open; writes nothing.",
			Examples:    []string{"/promote dry-run v1.2.3"},
			WhoCanUse:   who,
		},
	}
}
