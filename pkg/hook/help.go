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
				"adds the digests to the project's images.yaml with a minimal diff, and opens exactly one PR per tag from its bot's fork.",
				html.EscapeString(c.ManifestRepo)),
			Config: map[string]string{},
			Snippet: `projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  stagingTag: 'v\d{8}-{{.Tag}}'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  reviewers: [hh]
  requireMultiArch: true`,
		}
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
