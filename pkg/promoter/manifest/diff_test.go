package manifest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// gitUnified is `git diff --no-index --no-color -U3` of two texts, with git's
// "diff --git" and "index" lines dropped and the file names made
// "a/<path>" and "b/<path>", or "" when git finds no difference. User and
// system git config are ignored, so a diff.algorithm setting cannot change
// what the test expects.
func gitUnified(t testing.TB, path string, old, new []byte) string {
	t.Helper()
	for _, src := range [][]byte{old, new} {
		// git puts the last line above a hunk that starts with a letter, "_"
		// or "$" after its header (a "function name"); Diff does not, and
		// images.yaml has no such line. Keep test inputs free of them.
		for _, l := range bytes.SplitAfter(src, []byte("\n")) {
			if len(l) > 0 && (l[0] == '_' || l[0] == '$' || ('a' <= l[0]|0x20 && l[0]|0x20 <= 'z')) {
				t.Fatalf("test input line %q starts with a letter: git would name it in hunk headers", l)
			}
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new"), new, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "diff", "--no-index", "--no-color", "-U3", "old", "new")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "HOME="+dir)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("git diff: %v", err)
	}
	if len(out) == 0 {
		return ""
	}
	s := string(out)
	i := strings.Index(s, "\n--- a/old\n+++ b/new\n")
	if i < 0 {
		t.Fatalf("unexpected git diff header:\n%s", s)
	}
	return "--- a/" + path + "\n+++ b/" + path + "\n" + s[i+len("\n--- a/old\n+++ b/new\n"):]
}

// checkDiff holds Diff to git's output and to the patch it claims to be.
func checkDiff(t *testing.T, path string, old, new []byte) string {
	t.Helper()
	got := Diff(path, old, new)
	if want := gitUnified(t, path, old, new); got != want {
		t.Fatalf("Diff and git diff differ\nold: %q\nnew: %q\n--- Diff:\n%s--- git:\n%s", old, new, got, want)
	}
	if err := checkPatch(path, old, new, got); err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	return got
}

func TestDiffMatchesGitSynthetic(t *testing.T) {
	// Lines of 20 numbered items, YAML-ish like images.yaml.
	lines := func(from, to int) string {
		var b strings.Builder
		for i := from; i <= to; i++ {
			fmt.Fprintf(&b, "- item %d\n", i)
		}
		return b.String()
	}
	base := lines(1, 20)
	cases := []struct{ name, old, new string }{
		{"insert at start", base, "- new\n" + base},
		{"insert at end", base, base + "- new\n"},
		{"insert in the middle", base, lines(1, 10) + "- new\n- newer\n" + lines(11, 20)},
		{"delete first", base, lines(2, 20)},
		{"delete last", base, lines(1, 19)},
		{"delete in the middle", base, lines(1, 9) + lines(12, 20)},
		{"replace one line", base, lines(1, 9) + "- ten\n" + lines(11, 20)},
		{"replace two by three", base, lines(1, 9) + "- a\n- b\n- c\n" + lines(12, 20)},
		{"two far-apart changes: two hunks", base, lines(1, 3) + "- x\n" + lines(4, 15) + "- y\n" + lines(16, 20)},
		{"seven unchanged lines apart: two hunks", base, lines(1, 5) + "- x\n" + lines(6, 12) + "- y\n" + lines(13, 20)},
		{"six unchanged lines apart: one hunk", base, lines(1, 5) + "- x\n" + lines(6, 11) + "- y\n" + lines(12, 20)},
		{"two near changes: one hunk", base, lines(1, 5) + "- x\n" + lines(6, 8) + "- y\n" + lines(9, 20)},
		{"three changes, last far", base, "- x\n" + lines(1, 4) + "- y\n" + lines(5, 19)},
		{"new side lacks final newline", base, strings.TrimSuffix(base, "\n")},
		{"old side lacks final newline", strings.TrimSuffix(base, "\n"), base},
		{"neither has a final newline, last line changed", strings.TrimSuffix(base, "\n"), lines(1, 19) + "- twenty"},
		{"neither has a final newline, line added before", strings.TrimSuffix(base, "\n"), lines(1, 18) + "- x\n" + strings.TrimSuffix(lines(19, 20), "\n")},
		{"neither has a final newline, change far from the end", strings.TrimSuffix(base, "\n"), "- x\n" + strings.TrimSuffix(base, "\n")},
		{"line added after a last line without newline", strings.TrimSuffix(base, "\n"), base + "- new"},
		{"empty old", "", lines(1, 4)},
		{"empty new", lines(1, 4), ""},
		{"empty old, new without newline", "", "- one"},
		{"only a newline", "", "\n"},
		{"one line each", "- a\n", "- b\n"},
		{"CRLF kept", strings.ReplaceAll(base, "\n", "\r\n"), strings.ReplaceAll(lines(1, 10)+"- new\n"+lines(11, 20), "\n", "\r\n")},
		{"CRLF to LF on one line", base, lines(1, 9) + "- item 10\r\n" + lines(11, 20)},
		{"everything replaced", lines(1, 5), "- a\n- b\n"},
		{"repeated lines, insertion slides down", "- a\n- b\n- b\n- c\n", "- a\n- b\n- b\n- b\n- c\n"},
		{"blank lines", "- a\n\n- b\n", "- a\n\n\n- b\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkDiff(t, "images.yaml", []byte(c.old), []byte(c.new))
		})
	}
}

func TestDiffExact(t *testing.T) {
	for _, c := range []struct{ name, old, new, want string }{
		{"identical", "- a\n", "- a\n", ""},
		{"both empty", "", "", ""},
		{"empty old", "", "- a\n- b\n", "--- a/x.yaml\n+++ b/x.yaml\n@@ -0,0 +1,2 @@\n+- a\n+- b\n"},
		{"empty new", "- a\n", "", "--- a/x.yaml\n+++ b/x.yaml\n@@ -1 +0,0 @@\n-- a\n"},
		{"no newline", "- a\n", "- a", "--- a/x.yaml\n+++ b/x.yaml\n@@ -1 +1 @@\n-- a\n+- a\n\\ No newline at end of file\n"},
		{"context", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\n4.5\n5\n6\n7\n8\n",
			"--- a/x.yaml\n+++ b/x.yaml\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+4.5\n 5\n 6\n 7\n"},
	} {
		if got := Diff("x.yaml", []byte(c.old), []byte(c.new)); got != c.want {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}

// TestDiffMatchesGitRealFiles diffs the real files before and after the
// edits promoter makes to them.
func TestDiffMatchesGitRealFiles(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(realFiles, "*", "images.yaml"))
	if err != nil || len(paths) != 6 {
		t.Fatalf("want the 6 real images.yaml files, found %d (%v)", len(paths), err)
	}
	for _, path := range paths {
		dir := filepath.Base(filepath.Dir(path))
		src := readReal(t, dir)
		variants := map[string][]byte{
			"":                    src,
			" CRLF":               bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n")),
			" no final newline":   bytes.TrimSuffix(src, []byte("\n")),
			" CRLF, no final EOL": bytes.TrimSuffix(bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n")), []byte("\r\n")),
		}
		for variant, src := range variants {
			m := mustParse(t, src)
			first, last := m.Images[0], m.Images[len(m.Images)-1]
			lastEntry := last.Digests[len(last.Digests)-1]
			newDigestFirst := Promotion{Image: first.Name, Digest: newDigest("diff-1"), Tags: []string{"v99.0.0"}}
			tagOnLast := Promotion{Image: last.Name, Digest: lastEntry.Digest, Tags: []string{"v99.1"}}
			newImage := Promotion{Image: "zz-diff-new", Digest: newDigest("diff-2"), Tags: []string{"v1.0.0"}}
			newImageFirst := Promotion{Image: "aa-diff-new", Digest: newDigest("diff-3"), Tags: []string{"v1.0.0"}}
			edits := map[string][]Promotion{
				"new digest":             {newDigestFirst},
				"tag on the last digest": {tagOnLast},
				"new image":              {newImage},
				"new image, sorts first": {newImageFirst},
				"all at once":            {newDigestFirst, tagOnLast, newImage, newImageFirst},
			}
			for name, ps := range edits {
				t.Run(dir+variant+"/"+name, func(t *testing.T) {
					r := mustAdd(t, src, ps...)
					d := checkDiff(t, "registry.k8s.io/images/"+dir+"/images.yaml", src, r.Content)
					if !strings.Contains(d, "\n+") {
						t.Errorf("no added line:\n%s", d)
					}
				})
			}
		}
	}
	t.Run("k8s-staging-kubernetes, synthetic 1.5 MB", func(t *testing.T) {
		src := syntheticKubernetes()
		m := mustParse(t, src)
		for name, p := range map[string]Promotion{"new digest": benchNewDigest(t, m), "new image": benchNewImage(t, m)} {
			r := mustAdd(t, src, p)
			d := checkDiff(t, "registry.k8s.io/images/k8s-staging-kubernetes/images.yaml", src, r.Content)
			if n := strings.Count(d, "\n@@ "); n != 1 {
				t.Errorf("%s: %d hunks, want 1:\n%s", name, n, d)
			}
		}
	})
}

// TestDiffMatchesGitRandomEdits makes random insertions, deletions and
// replacements of whole lines in a file of distinct lines, where the diff is
// not a matter of taste, and compares with git.
func TestDiffMatchesGitRandomEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fresh := 0
	line := func() string { fresh++; return "- line " + strconv.Itoa(fresh) + "\n" }
	for n := range 60 {
		var old []string
		for range rng.IntN(40) {
			old = append(old, line())
		}
		var new []string
		for i := 0; i <= len(old); i++ {
			switch r := rng.IntN(12); {
			case r == 0: // insert
				for range 1 + rng.IntN(3) {
					new = append(new, line())
				}
			case r == 1 && i < len(old): // replace
				new = append(new, line())
				continue
			case r == 2: // delete
				continue
			}
			if i < len(old) {
				new = append(new, old[i])
			}
		}
		o, w := strings.Join(old, ""), strings.Join(new, "")
		if rng.IntN(4) == 0 {
			o = strings.TrimSuffix(o, "\n")
		}
		if rng.IntN(4) == 0 {
			w = strings.TrimSuffix(w, "\n")
		}
		t.Run(strconv.Itoa(n), func(t *testing.T) { checkDiff(t, "f.yaml", []byte(o), []byte(w)) })
	}
}

// TestDiffShortest holds Diff to a shortest edit script on many small inputs
// of few distinct lines, the inputs where a search has most ways to go wrong.
func TestDiffShortest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	text := func() []byte {
		var b []byte
		for range rng.IntN(14) {
			b = append(b, "abc"[rng.IntN(3)], '\n')
		}
		if len(b) > 0 && rng.IntN(5) == 0 {
			b = b[:len(b)-1]
		}
		return b
	}
	for range 20000 {
		old, new := text(), text()
		if err := checkPatch("f", old, new, Diff("f", old, new)); err != nil {
			t.Fatalf("%v\nold %q\nnew %q\n%s", err, old, new, Diff("f", old, new))
		}
	}
}

// TestDiffLargeUnlike: two long texts with nothing or little in common do
// not take quadratic time or memory.
func TestDiffLargeUnlike(t *testing.T) {
	var a, b, c strings.Builder
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 50_000 {
		fmt.Fprintf(&a, "- a %d\n", i)
		fmt.Fprintf(&b, "- b %d\n", i)
		fmt.Fprintf(&c, "- %d\n", rng.IntN(20)) // many equal lines on both sides
	}
	var d strings.Builder
	for range 50_000 {
		fmt.Fprintf(&d, "- %d\n", rng.IntN(20))
	}
	for _, p := range [][2]string{{a.String(), b.String()}, {c.String(), d.String()}} {
		old, new := []byte(p[0]), []byte(p[1])
		if err := checkPatch("f", old, new, Diff("f", old, new)); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzDiff: applying the diff to old gives new, the hunks are well formed
// and merged as `diff -u` merges them, and, on inputs small enough to check,
// the diff is a shortest one.
func FuzzDiff(f *testing.F) {
	apisnoop, err := os.ReadFile(filepath.Join(realFiles, "k8s-staging-apisnoop", "images.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	edited, err := Parse(apisnoop)
	if err != nil {
		f.Fatal(err)
	}
	r, err := edited.Add(Promotion{Image: "snoopdb", Digest: d1, Tags: []string{"v0.3.0"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(apisnoop, r.Content)
	f.Add([]byte(""), []byte("a\n"))
	f.Add([]byte("a\nb\nc\n"), []byte("a\nc"))
	f.Add([]byte("a\r\nb\r\n"), []byte("a\nb\r\n"))
	f.Add([]byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"), []byte("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n"))
	f.Add([]byte("a\na\nb\na\n"), []byte("b\na\na\n"))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		d := Diff("f", old, new)
		if err := checkPatch("f", old, new, d); err != nil {
			t.Fatalf("%v\nold %q\nnew %q\n%s", err, old, new, d)
		}
	})
}

// checkPatch applies a unified diff to old and checks it gives new, that the
// hunk headers agree with their bodies, that each hunk has its full context
// and no more, that hunks closer than 2×3 lines were merged, and, when the
// texts are small, that no shorter edit script exists.
func checkPatch(path string, old, new []byte, d string) error {
	if bytes.Equal(old, new) {
		if d != "" {
			return fmt.Errorf("equal texts gave a diff")
		}
		return nil
	}
	rest, ok := strings.CutPrefix(d, "--- a/"+path+"\n+++ b/"+path+"\n")
	if !ok {
		return fmt.Errorf("missing or wrong file header")
	}
	oldLines, newLines := bytes.SplitAfter(old, []byte("\n")), bytes.SplitAfter(new, []byte("\n"))
	oldLines, newLines = oldLines[:splitLines(old).n()], newLines[:splitLines(new).n()]
	var out [][]byte
	diffLines := strings.SplitAfter(rest, "\n")
	if diffLines[len(diffLines)-1] != "" {
		return fmt.Errorf("diff does not end with a newline")
	}
	diffLines = diffLines[:len(diffLines)-1]
	header := regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n$`)
	num := func(s string, def int) int {
		if s == "" {
			return def
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	i, edits := 0, 0 // the next old line to copy; lines removed or added
	for k := 0; k < len(diffLines); {
		h := header.FindStringSubmatch(diffLines[k])
		if h == nil {
			return fmt.Errorf("line %d: want a hunk header, got %q", k, diffLines[k])
		}
		k++
		s1, c1, s2, c2 := num(h[1], 0), num(h[2], 1), num(h[3], 0), num(h[4], 1)
		if (c1 == 0) != (h[2] == "0") || (c2 == 0) != (h[4] == "0") || h[2] == "1" || h[4] == "1" {
			return fmt.Errorf("header %q: counts written the wrong way", h[0])
		}
		if c1 > 0 {
			s1--
		}
		if c2 > 0 {
			s2--
		}
		if s1 < i || s1+c1 > len(oldLines) {
			return fmt.Errorf("header %q: old range out of order or past the end", h[0])
		}
		if k > 1 && s1 <= i {
			return fmt.Errorf("header %q: hunks overlap or touch", h[0])
		}
		out = append(out, oldLines[i:s1]...)
		i = s1
		if s2 != len(out) {
			return fmt.Errorf("header %q: new start %d, but the hunk begins at new line %d", h[0], s2+1, len(out)+1)
		}
		// Body: context, "-" and "+" lines, each maybe followed by "\ No newline".
		var kinds []byte
		var body [][]byte
		for k < len(diffLines) && !strings.HasPrefix(diffLines[k], "@@ ") {
			l := diffLines[k]
			k++
			if l[0] != ' ' && l[0] != '-' && l[0] != '+' {
				return fmt.Errorf("bad body line %q", l)
			}
			content := []byte(l[1:])
			if k < len(diffLines) && diffLines[k] == "\\ No newline at end of file\n" {
				content = content[:len(content)-1]
				k++
			}
			kinds, body = append(kinds, l[0]), append(body, content)
		}
		n1, n2 := 0, 0
		for x, kind := range kinds {
			if kind != '+' {
				if i >= len(oldLines) || !bytes.Equal(oldLines[i], body[x]) {
					return fmt.Errorf("header %q: line %q is not old line %d", h[0], body[x], i+1)
				}
				i++
				n1++
			}
			if kind != '-' {
				out = append(out, body[x])
				n2++
			}
			if kind != ' ' {
				edits++
			}
		}
		if n1 != c1 || n2 != c2 {
			return fmt.Errorf("header %q: body has %d old and %d new lines", h[0], n1, n2)
		}
		lead := bytes.IndexAny(kinds, "-+")
		trail := len(kinds) - 1 - bytes.LastIndexAny(kinds, "-+")
		if lead < 0 {
			return fmt.Errorf("header %q: hunk without changes", h[0])
		}
		if lead > diffContext || (lead < diffContext && s1 != 0) {
			return fmt.Errorf("header %q: %d lines of leading context", h[0], lead)
		}
		if trail > diffContext || (trail < diffContext && i != len(oldLines)) {
			return fmt.Errorf("header %q: %d lines of trailing context", h[0], trail)
		}
		if strings.Contains(string(kinds), strings.Repeat(" ", 2*diffContext+1)) {
			return fmt.Errorf("header %q: %d unchanged lines inside one hunk", h[0], 2*diffContext+1)
		}
		if k < len(diffLines) {
			// The next hunk must start more than 2×3 lines after this change.
			nh := header.FindStringSubmatch(diffLines[k])
			if nh != nil {
				ns := num(nh[1], 0) - 1 + diffContext // old index of the next first change
				if ns-(i-trail) <= 2*diffContext {
					return fmt.Errorf("hunks %q and %q should be one", h[0], nh[0])
				}
			}
		}
	}
	out = append(out, oldLines[i:]...)
	if got := bytes.Join(out, nil); !bytes.Equal(got, new) {
		return fmt.Errorf("applying the diff gives %q, want %q", got, new)
	}
	if len(oldLines)*len(newLines) <= 40_000 {
		if want := len(oldLines) + len(newLines) - 2*lcs(oldLines, newLines); edits != want {
			return fmt.Errorf("not shortest: %d lines changed, %d would do", edits, want)
		}
	}
	return nil
}

// lcs is the length of a longest common subsequence of lines, by dynamic
// programming.
func lcs(a, b [][]byte) int {
	row := make([]int, len(b)+1)
	for i := range a {
		diag := 0
		for j := range b {
			up := row[j+1]
			if bytes.Equal(a[i], b[j]) {
				row[j+1] = diag + 1
			} else {
				row[j+1] = max(row[j+1], row[j])
			}
			diag = up
		}
	}
	return row[len(b)]
}

func BenchmarkDiffLarge(b *testing.B) {
	src := syntheticKubernetes()
	m, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	r, err := m.Add(benchNewDigest(b, m))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if Diff("registry.k8s.io/images/k8s-staging-kubernetes/images.yaml", src, r.Content) == "" {
			b.Fatal("no diff")
		}
	}
}
