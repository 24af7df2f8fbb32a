package manifest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Some files keep one group of blocks per release rather than one block per
// image (k8s-staging-kops, k8s-staging-etcdadm):
//
//	# 1.29.0
//	- name: dns-controller
//	  dmap:
//	    "sha256:...": ["1.29.0"]
//	- name: kops-controller
//	  ...
//
//	# 1.30.0-alpha.1
//	- name: dns-controller
//	  ...
//
// A comment naming the release heads each group, and image names repeat from
// group to group. A new release there is a new group in the same shape.

// grouping is the layout of a release-grouped file.
type grouping struct {
	groups []releaseGroup
	of     []int // image index -> group index
	// newestFirst: the releases of three groups or more descend, so a new
	// group goes first; otherwise it goes last. Both real files add releases
	// at the end in the order they are made, where a patch of an older line
	// often follows a newer release: two groups in descending order are no
	// sign of the opposite.
	newestFirst bool
	// sorted: every group lists its images by name; otherwise new blocks
	// follow the order of the newest group.
	sorted bool
	gap    int         // blank lines above the newest group's header
	header headerForm  // how the newest group's header names its release
	layout imageLayout // of the newest group's first block
}

// releaseGroup is a header comment and the image blocks under it.
type releaseGroup struct {
	release  string // the word of the header that names the release
	header   int    // line of the header comment
	from, to int    // its blocks: Images[from:to]
}

// headerForm is a header line split around the release it names: prefix and
// suffix are kept as they are, and v says whether the release is written
// with a leading "v" (etcdadm's headers changed their minds twice).
type headerForm struct {
	prefix, suffix string
	v              bool
}

// findGroups recognises a release-grouped file: every block is under a
// header (a comment line directly above a block, not indented past its
// "-"), there are two groups or more, each header has a word that is one of
// its group's tags (with or without a leading "v"), and some image appears in
// more than one group. Anything else is a file of per-image blocks, comments
// or not.
func findGroups(t text, images []Image) *grouping {
	if len(images) < 2 {
		return nil
	}
	g := &grouping{of: make([]int, len(images))}
	for i, img := range images {
		h, floor := img.layout.first-1, -1
		if i > 0 {
			floor = images[i-1].layout.last
		}
		if h > floor && t.isComment(h) && t.indent(h) <= img.layout.itemIndent {
			if n := len(g.groups); n > 0 {
				g.groups[n-1].to = i
			}
			g.groups = append(g.groups, releaseGroup{header: h, from: i, to: len(images)})
		} else if i == 0 {
			return nil
		}
		g.of[i] = len(g.groups) - 1
	}
	if len(g.groups) < 2 {
		return nil
	}
	seen := make(map[string]int, len(images)) // image name -> first group
	repeated := false
	for gi := range g.groups {
		grp := &g.groups[gi]
		rel, ok := namedRelease(t.line(grp.header), images[grp.from:grp.to])
		if !ok {
			return nil
		}
		grp.release = rel
		for _, img := range images[grp.from:grp.to] {
			if first, ok := seen[img.Name]; !ok {
				seen[img.Name] = gi
			} else if first != gi {
				repeated = true
			}
		}
	}
	if !repeated {
		return nil
	}
	g.describe(t, images)
	return g
}

// describe learns from the groups where and how a new one is written.
func (g *grouping) describe(t text, images []Image) {
	g.newestFirst, g.sorted = len(g.groups) >= 3, true
	for i, grp := range g.groups {
		if i > 0 && compareVersions(g.groups[i-1].release, grp.release) <= 0 {
			g.newestFirst = false
		}
		names := images[grp.from:grp.to]
		if !slices.IsSortedFunc(names, func(a, b Image) int { return strings.Compare(a.Name, b.Name) }) {
			g.sorted = false
		}
	}
	newest := g.groups[len(g.groups)-1]
	above, below := g.groups[len(g.groups)-2], newest // the gap to learn is between them
	if g.newestFirst {
		newest = g.groups[0]
		above, below = g.groups[0], g.groups[1]
	}
	for h := below.header - 1; h > images[above.to-1].layout.last && len(bytes.TrimSpace(t.line(h))) == 0; h-- {
		g.gap++
	}
	line := string(t.line(newest.header))
	at := wordAt(line, newest.release)
	g.header = headerForm{prefix: line[:at], suffix: line[at+len(newest.release):], v: strings.HasPrefix(newest.release, "v")}
	g.layout = images[newest.from].layout
}

// isHeaderSpace separates the words of a header comment.
func isHeaderSpace(r rune) bool {
	return r == ' ' || r == '#' || r == ',' || r == ':' || r == '(' || r == ')'
}

// namedRelease returns the first word of a header comment that is one of the
// group's tags, with or without a leading "v".
func namedRelease(line []byte, images []Image) (string, bool) {
	words := strings.FieldsFunc(string(line), isHeaderSpace)
	for _, w := range words {
		for _, img := range images {
			for _, e := range img.Digests {
				if slices.ContainsFunc(e.Tags, func(tag string) bool { return sameRelease(w, tag) }) {
					return w, true
				}
			}
		}
	}
	return "", false
}

// wordAt is the offset of w as a whole word of line (FieldsFunc found it).
func wordAt(line, w string) int {
	for at := 0; ; at++ {
		i := strings.Index(line[at:], w)
		if i < 0 {
			return 0
		}
		at += i
		end := at + len(w)
		if (at == 0 || isHeaderSpace(rune(line[at-1]))) && (end == len(line) || isHeaderSpace(rune(line[end]))) {
			return at
		}
	}
}

// sameRelease compares release names as the headers write them: "v3.0.1"
// and "3.0.1" name one release.
func sameRelease(a, b string) bool { return trimV(a) == trimV(b) }

// trimV drops the "v" of a version like v1.2.3.
func trimV(s string) string {
	if len(s) > 1 && s[0] == 'v' && s[1] >= '0' && s[1] <= '9' {
		return s[1:]
	}
	return s
}

// render writes a header naming release in the form of the newest header.
func (h headerForm) render(release string) string {
	if r := trimV(release); r != "" && r[0] >= '0' && r[0] <= '9' {
		release = r
		if h.v {
			release = "v" + r
		}
	}
	return h.prefix + release + h.suffix
}

// find returns the index of the group of release, or -1.
func (g *grouping) find(release string) int {
	for i, grp := range g.groups {
		if sameRelease(grp.release, release) {
			return i
		}
	}
	return -1
}

// blockOrder tells whether a block of image a goes before one of image b in
// group gi: by name in sorted files, else in the order of the newest other
// group that lists them, with images no other group lists at the end (so
// the order does not depend on which image of a release comes first).
func (g *grouping) blockOrder(images []Image, gi int) func(a, b string) bool {
	if g.sorted {
		return func(a, b string) bool { return a < b }
	}
	rank := map[string]int{}
	for k := range g.groups {
		i := len(g.groups) - 1 - k // newest first
		if g.newestFirst {
			i = k
		}
		if i == gi {
			continue
		}
		for _, img := range images[g.groups[i].from:g.groups[i].to] {
			if _, ok := rank[img.Name]; !ok {
				rank[img.Name] = len(rank)
			}
		}
	}
	return func(a, b string) bool {
		ra, oka := rank[a]
		rb, okb := rank[b]
		return oka && (!okb || ra < rb)
	}
}

// placeInRelease writes p's digest with tags (all of p's, or those it lacks)
// into the group of p's release: onto the digest's entry there, into the
// image's block there, as a new block in the group, or in a new group. A
// digest promoted again for a new release is written again in that
// release's group, as the real files do.
func (m *Manifest) placeInRelease(p Promotion, tags []string) (*splice, error) {
	g := m.groups
	gi := g.find(p.release())
	if gi < 0 {
		return m.insertGroup(p.withTags(tags))
	}
	grp := g.groups[gi]
	for _, img := range m.Images[grp.from:grp.to] {
		if img.Name != p.Image {
			continue
		}
		for _, e := range img.Digests {
			if e.Digest == p.Digest {
				return m.appendTags(p.Image, e, tags)
			}
		}
		return m.insertEntry(img, p.withTags(tags))
	}
	line := m.Images[grp.to-1].layout.last + 1
	before := g.blockOrder(m.Images, gi)
	for i := grp.from; i < grp.to; i++ {
		if img := m.Images[i]; before(p.Image, img.Name) {
			line = img.layout.first
			if i > grp.from {
				line = m.commentsAbove(line, m.Images[i-1].layout.last+1)
			}
			break
		}
	}
	return m.insertLines(line, m.blockText(g.layout, p.withTags(tags))), nil
}

// insertGroup adds a group for p's release, headed as the newest group is
// and as far from its neighbour, first or last as the file adds them.
func (m *Manifest) insertGroup(p Promotion) (*splice, error) {
	g := m.groups
	release := p.release()
	if !slices.ContainsFunc(p.Tags, func(t string) bool { return sameRelease(t, release) }) {
		return nil, fmt.Errorf("%w: this images.yaml keeps one group of images per release, each headed by a comment naming the release's tag, and release %q is none of the tags promoted (%s); promote it under its release's tag, or add the group by hand",
			ErrNotEditable, release, strings.Join(p.Tags, ", "))
	}
	eol := m.text.eol
	header := g.header.render(release) + eol
	gap := strings.Repeat(eol, g.gap)
	block := m.blockText(g.layout, p)
	if g.newestFirst {
		return m.insertLines(g.groups[0].header, header+block+gap), nil
	}
	last := g.groups[len(g.groups)-1]
	return m.insertLines(m.Images[last.to-1].layout.last+1, gap+header+block), nil
}
