// Package config reads and validates promoter's configuration file: which
// source repositories release which staging projects, how their git tags map
// to staging and promoted image tags ({{.Tag}}, and {{.Commit}} for builds of
// the tagged commit on a branch), and what the checks and the watch after a
// merge do. It refuses a bad file with an error that names the field, and an
// Agent reloads the file, keeping the last good config.
//
// It reads one file and nothing else: no network, no knowledge of GitHub or
// registries.
package config
