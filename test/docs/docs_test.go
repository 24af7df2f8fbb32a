// Package docs checks the README and docs/ so they cannot rot: the README
// stays short, every relative link and anchor resolves, every shell block is
// either run here or names the test that runs it, and every config example
// is a config promoter accepts.
//
// A fenced block is marked by an HTML comment on the line before it:
//
//	<!-- run -->                        run the block (bash, repo root, bin/ on PATH)
//	<!-- run: needs ../shared -->       the same; skipped where ../shared is absent
//	<!-- run with: make load EVENTS=500 -->  run this smaller form of the command instead
//	<!-- covered by: TestX in test/e2e -->   a test of that name exists there
//	<!-- covered by: .ci/run -->        each command of the block is in .ci/run
//	<!-- config -->                     a YAML block that config.Parse accepts
package docs

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/test/harness"
)

// maxReadme is how long the README may grow: a newcomer reads it in five
// minutes; the rest belongs in docs/.
const maxReadme = 150

// runTimeout bounds one runnable block.
const runTimeout = 8 * time.Minute

func root(t *testing.T) string {
	t.Helper()
	r, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pages are the README and every page under docs/.
func pages(t *testing.T) []string {
	t.Helper()
	r := root(t)
	docs, err := filepath.Glob(filepath.Join(r, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	return append([]string{filepath.Join(r, "README.md")}, docs...)
}

func TestReadmeIsShort(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > maxReadme {
		t.Errorf("README.md has %d lines; keep it under %d and move the rest to docs/", n, maxReadme)
	}
}

var (
	link    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*$`)
)

func TestLinksResolve(t *testing.T) {
	for _, page := range pages(t) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(withoutCode(string(b))), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: link %s: no such file", rel(t, page), target)
				continue
			}
			if anchor != "" && !hasAnchor(t, path, anchor) {
				t.Errorf("%s: link %s: %s has no heading with that anchor", rel(t, page), target, rel(t, path))
			}
		}
	}
}

// hasAnchor reports whether a Markdown file has a heading GitHub gives
// that anchor.
func hasAnchor(t *testing.T, path, anchor string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range heading.FindAllStringSubmatch(string(withoutCode(string(b))), -1) {
		if slug(m[1]) == anchor {
			return true
		}
	}
	return false
}

// slug is GitHub's anchor for a heading: lowercase, punctuation dropped
// (but - and _), spaces to dashes.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// withoutCode blanks fenced code blocks, whose brackets are not links.
func withoutCode(s string) string {
	var out []string
	in := false
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			out = append(out, "")
			continue
		}
		if in {
			line = ""
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// block is one fenced code block and the marker before it.
type block struct {
	page, lang, marker, body string
	line                     int
}

var (
	markerRE = regexp.MustCompile(`^\s*<!--\s*(.+?)\s*-->\s*$`)
	fenceRE  = regexp.MustCompile("^(\\s*)```(\\w*)\\s*$")
)

func blocks(t *testing.T, page string) []block {
	t.Helper()
	f, err := os.Open(page)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []block
	var cur *block
	marker, indent, n := "", "", 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		if cur != nil {
			if strings.TrimSpace(line) == "```" {
				out = append(out, *cur)
				cur = nil
				continue
			}
			cur.body += strings.TrimPrefix(line, indent) + "\n"
			continue
		}
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			cur = &block{page: page, lang: m[2], marker: marker, line: n}
			marker, indent = "", m[1] // a block in a list item is indented
			continue
		}
		if m := markerRE.FindStringSubmatch(line); m != nil {
			marker = m[1]
			continue
		}
		if strings.TrimSpace(line) != "" {
			marker = ""
		}
	}
	return out
}

func isShell(lang string) bool { return lang == "sh" || lang == "bash" || lang == "shell" }

// TestEveryCommandIsChecked runs or finds the test of every shell block,
// and parses every config example.
func TestEveryCommandIsChecked(t *testing.T) {
	r := root(t)
	for _, page := range pages(t) {
		for _, b := range blocks(t, page) {
			where := fmt.Sprintf("%s:%d", rel(t, page), b.line)
			switch {
			case b.marker == "config":
				if _, err := config.Parse([]byte(b.body)); err != nil {
					t.Errorf("%s: the config example is refused: %v", where, err)
				}
			case !isShell(b.lang):
			case b.marker == "":
				t.Errorf("%s: a shell block with no <!-- run --> or <!-- covered by: ... --> before it", where)
			case strings.HasPrefix(b.marker, "covered by:"):
				covered(t, r, where, strings.TrimSpace(strings.TrimPrefix(b.marker, "covered by:")), b.body)
			case strings.HasPrefix(b.marker, "run"):
				t.Run(where, func(t *testing.T) { run(t, r, b) })
			default:
				t.Errorf("%s: unknown marker %q", where, b.marker)
			}
		}
	}
}

// covered checks that what a block says covers it exists: a test function,
// or .ci/run running each of its commands.
func covered(t *testing.T, root, where, what, body string) {
	t.Helper()
	if what == ".ci/run" {
		ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range commands(body) {
			if !strings.Contains(string(ci), strings.Fields(cmd)[0]) {
				t.Errorf("%s: %q is not run by .ci/run", where, cmd)
			}
		}
		return
	}
	name, dir, ok := strings.Cut(what, " in ")
	if !ok {
		t.Errorf("%s: want <!-- covered by: TestName in path -->, got %q", where, what)
		return
	}
	files, _ := filepath.Glob(filepath.Join(root, dir, "*_test.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), "func "+name+"(") {
			return
		}
	}
	t.Errorf("%s: no test %s in %s", where, name, dir)
}

// commands are a block's command lines, comments and blanks left out.
func commands(body string) []string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		line, _, _ = strings.Cut(line, " #")
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

func run(t *testing.T, root string, b block) {
	script := b.body
	switch {
	case strings.HasPrefix(b.marker, "run with:"):
		script = strings.TrimSpace(strings.TrimPrefix(b.marker, "run with:")) + "\n"
	case b.marker == "run: needs ../shared":
		if _, err := os.Stat(filepath.Join(root, "..", "shared", "corpus")); err != nil {
			t.Skipf("../shared/corpus is not beside this clone (%v); CI has it", err)
		}
	case b.marker != "run":
		t.Fatalf("unknown marker %q", b.marker)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the block failed: %v\n%s\n%s", err, script, tail(string(out)))
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

func rel(t *testing.T, path string) string {
	r, err := filepath.Rel(root(t), path)
	if err != nil {
		return path
	}
	return r
}
