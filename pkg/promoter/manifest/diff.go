package manifest

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// diffContext is how many unchanged lines a hunk shows around a change, as
// `git diff` and `diff -u` do by default.
const diffContext = 3

// Diff returns a unified diff of old and new (3 lines of context), with
// "--- a/<path>" / "+++ b/<path>" headers, or "" when they are equal.
//
// It is the diff `git diff` shows a reviewer: lines end at "\n" and keep their
// line ending ("\r\n" shows as part of the line), a side whose last line has
// no newline gets "\ No newline at end of file", hunks whose context would
// touch are merged, and a run of changed lines that could sit at several
// places is moved where git moves it: as low as it goes, or next to a change
// on the other side. The tests hold it to git's output byte for byte on
// promoter's edits of real images.yaml files. Where several shortest diffs
// exist that no such move relates (repetitive text), it may pick another
// than git's; and its hunk headers carry no function name after the second
// "@@" (git adds the last line above the hunk that starts with a letter;
// images.yaml has none).
//
// The cost is that of Myers' O(ND) algorithm on the lines between the common
// prefix and suffix, so a few changed lines in a 1.5 MB file cost about as
// much as finding the lines; memory is linear in the number of lines.
func Diff(path string, old, new []byte) string {
	if bytes.Equal(old, new) {
		return ""
	}
	a, b := newDiffFile(old), newDiffFile(new)
	markChanges(a, b)
	a.compact(b)
	b.compact(a)
	return unified(path, a, b)
}

// diffFile is one side of a diff: its lines and which of them changed
// (removed from the old side, added on the new side).
type diffFile struct {
	text
	changed []bool
}

func newDiffFile(src []byte) *diffFile {
	t := splitLines(src)
	return &diffFile{text: t, changed: make([]bool, t.n())}
}

// rec is line i with its line ending, the unit a diff compares.
func (f *diffFile) rec(i int) []byte { return f.src[f.start[i]:f.start[i+1]] }

// markChanges marks the lines a shortest edit script removes from a and adds
// to b.
func markChanges(a, b *diffFile) {
	n, m := a.n(), b.n()
	pre := 0
	for pre < n && pre < m && bytes.Equal(a.rec(pre), b.rec(pre)) {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && bytes.Equal(a.rec(n-1-suf), b.rec(m-1-suf)) {
		suf++
	}
	n, m = n-suf, m-suf

	// Number the lines in between so that equal lines compare as ints. A line
	// with no equal on the other side cannot be kept: mark it now and leave it
	// out of the search, which makes unrelated texts cheap to compare.
	ids := make(map[string]int32, n-pre)
	ca := make([]int32, 0, n-pre)
	for i := pre; i < n; i++ {
		id, ok := ids[string(a.rec(i))]
		if !ok {
			id = int32(len(ids))
			ids[string(a.rec(i))] = id
		}
		ca = append(ca, id)
	}
	inB := make([]bool, len(ids))
	var s myers
	for j := pre; j < m; j++ {
		if id, ok := ids[string(b.rec(j))]; ok {
			inB[id] = true
			s.b = append(s.b, id)
			s.bi = append(s.bi, j)
		} else {
			b.changed[j] = true
		}
	}
	for i, id := range ca {
		if inB[id] {
			s.a = append(s.a, id)
			s.ai = append(s.ai, pre+i)
		} else {
			a.changed[pre+i] = true
		}
	}
	s.run(a.changed, b.changed)
}

// myers finds a shortest edit script between two sequences of line numbers
// with the linear-space divide-and-conquer form of Myers' algorithm ("An
// O(ND) Difference Algorithm and Its Variations", 1986): find a point that
// a shortest path from the top-left to the bottom-right corner of the edit
// graph crosses by searching forward and backward at once, then solve the
// two halves.
type myers struct {
	a, b   []int32
	ai, bi []int // the file line each element of a and b stands for
	ca, cb []bool

	fwd, bwd []int // furthest x reached on each diagonal k = x-y, at k+off
	off      int
	maxCost  int
}

func (s *myers) run(ca, cb []bool) {
	if len(s.a) == 0 && len(s.b) == 0 {
		return
	}
	s.ca, s.cb = ca, cb
	size := len(s.a) + len(s.b) + 3
	s.fwd, s.bwd = make([]int, size), make([]int, size)
	s.off = len(s.b) + 1
	// Past this many edits, settle for a split that is good rather than
	// best, as git does, so that two long unlike texts do not take O(N²).
	s.maxCost = max(256, int(math.Sqrt(float64(size))))
	s.compare(0, len(s.a), 0, len(s.b))
}

// compare marks the changes between a[a0:a1] and b[b0:b1].
func (s *myers) compare(a0, a1, b0, b1 int) {
	for {
		for a0 < a1 && b0 < b1 && s.a[a0] == s.b[b0] {
			a0, b0 = a0+1, b0+1
		}
		for a0 < a1 && b0 < b1 && s.a[a1-1] == s.b[b1-1] {
			a1, b1 = a1-1, b1-1
		}
		switch {
		case a0 == a1:
			for j := b0; j < b1; j++ {
				s.cb[s.bi[j]] = true
			}
			return
		case b0 == b1:
			for i := a0; i < a1; i++ {
				s.ca[s.ai[i]] = true
			}
			return
		}
		x, y := s.split(a0, a1, b0, b1)
		if x < a0 || x > a1 || y < b0 || y > b1 || (x == a0 && y == b0) || (x == a1 && y == b1) {
			// Not reached: split returns a point strictly inside the box.
			// Should it ever not, a correct if longer diff beats a loop.
			for i := a0; i < a1; i++ {
				s.ca[s.ai[i]] = true
			}
			for j := b0; j < b1; j++ {
				s.cb[s.bi[j]] = true
			}
			return
		}
		s.compare(a0, x, b0, y)
		a0, b0 = x, y
	}
}

// split returns a point (x, y) on a shortest path through the box
// a[a0:a1] × b[b0:b1], whose corners differ (compare trimmed them).
func (s *myers) split(a0, a1, b0, b1 int) (int, int) {
	fwd, bwd, off := s.fwd, s.bwd, s.off
	kmin, kmax := a0-b1, a1-b0 // the diagonals that cross the box
	fk, bk := a0-b0, a1-b1     // where the forward and backward searches start
	odd := (fk-bk)&1 != 0
	fwd[fk+off], bwd[bk+off] = a0, a1
	flo, fhi, blo, bhi := fk, fk, bk, bk
	const unreached = math.MaxInt
	inBox := func(x, y int) bool { return a0 <= x && x <= a1 && b0 <= y && y <= b1 }

	for d := 1; ; d++ {
		// Widen the forward diagonals by one each way while they stay in
		// the box; a diagonal just outside reads as not reached.
		if flo > kmin {
			flo--
			fwd[flo-1+off] = -1
		} else {
			flo++
		}
		if fhi < kmax {
			fhi++
			fwd[fhi+1+off] = -1
		} else {
			fhi--
		}
		for k := fhi; k >= flo; k -= 2 {
			var x int
			if fwd[k-1+off] >= fwd[k+1+off] {
				x = fwd[k-1+off] + 1 // from diagonal k-1: a line of a removed
			} else {
				x = fwd[k+1+off] // from diagonal k+1: a line of b added
			}
			y := x - k
			for x < a1 && y < b1 && s.a[x] == s.b[y] {
				x, y = x+1, y+1
			}
			fwd[k+off] = x
			if odd && blo <= k && k <= bhi && bwd[k+off] <= x && inBox(x, y) && inBox(bwd[k+off], bwd[k+off]-k) {
				return x, y
			}
		}

		if blo > kmin {
			blo--
			bwd[blo-1+off] = unreached
		} else {
			blo++
		}
		if bhi < kmax {
			bhi++
			bwd[bhi+1+off] = unreached
		} else {
			bhi--
		}
		for k := bhi; k >= blo; k -= 2 {
			var x int
			if bwd[k-1+off] < bwd[k+1+off] {
				x = bwd[k-1+off] // from diagonal k-1: a line of b added
			} else {
				x = bwd[k+1+off] - 1 // from diagonal k+1: a line of a removed
			}
			y := x - k
			for x > a0 && y > b0 && s.a[x-1] == s.b[y-1] {
				x, y = x-1, y-1
			}
			bwd[k+off] = x
			if !odd && flo <= k && k <= fhi && x <= fwd[k+off] && inBox(x, y) && inBox(fwd[k+off], fwd[k+off]-k) {
				return x, y
			}
		}

		if d >= s.maxCost {
			return s.bestSplit(a0, a1, b0, b1, flo, fhi, blo, bhi)
		}
	}
}

// bestSplit is the point, of those the searches reached, that leaves the
// least to do: the forward one furthest from the top-left corner or the
// backward one furthest from the bottom-right.
func (s *myers) bestSplit(a0, a1, b0, b1, flo, fhi, blo, bhi int) (int, int) {
	bx, by, best := -1, -1, 0
	for k := flo; k <= fhi; k++ {
		x := s.fwd[k+s.off]
		y := x - k
		if x <= a1 && b0 <= y && y <= b1 && !(x == a1 && y == b1) && x+y-a0-b0 > best {
			bx, by, best = x, y, x+y-a0-b0
		}
	}
	for k := blo; k <= bhi; k++ {
		x := s.bwd[k+s.off]
		y := x - k
		if x >= a0 && b0 <= y && y <= b1 && !(x == a0 && y == b0) && a1+b1-x-y > best {
			bx, by, best = x, y, a1+b1-x-y
		}
	}
	return bx, by
}

// compact moves each run of changed lines of f, where the run can sit at
// several places (its first line equals the line after it, or its last the
// line before it), to where git shows it: as low as it goes, unless on the
// way it lined up with a change in the other file, in which case the lowest
// such place, so a replacement shows as one block of "-" then "+" lines.
func (f *diffFile) compact(other *diffFile) {
	g, og := f.firstGroup(), other.firstGroup()
	for {
		if g.end > g.start {
			var lowestEnd, endMatching int
			for {
				size := g.end - g.start
				// Slide up as far as possible, merging runs met on the way,
				// then down as far as possible, noting where the run ends
				// next to a change in the other file.
				for f.slideUp(&g) {
					other.prevGroup(&og)
				}
				lowestEnd, endMatching = g.end, -1
				if og.end > og.start {
					endMatching = g.end
				}
				for f.slideDown(&g) {
					other.nextGroup(&og)
					if og.end > og.start {
						endMatching = g.end
					}
				}
				if g.end-g.start == size {
					break
				}
			}
			if g.end != lowestEnd && endMatching >= 0 {
				for g.end > endMatching {
					f.slideUp(&g)
					other.prevGroup(&og)
				}
			}
		}
		if !f.nextGroup(&g) {
			return
		}
		other.nextGroup(&og)
	}
}

// diffGroup is a run of changed lines [start, end), possibly empty: the
// lines between two unchanged lines. The n-th groups of the two files face
// each other.
type diffGroup struct{ start, end int }

func (f *diffFile) firstGroup() diffGroup {
	g := diffGroup{}
	for g.end < len(f.changed) && f.changed[g.end] {
		g.end++
	}
	return g
}

func (f *diffFile) nextGroup(g *diffGroup) bool {
	if g.end == len(f.changed) {
		return false
	}
	g.start = g.end + 1
	g.end = g.start
	for g.end < len(f.changed) && f.changed[g.end] {
		g.end++
	}
	return true
}

func (f *diffFile) prevGroup(g *diffGroup) bool {
	if g.start == 0 {
		return false
	}
	g.end = g.start - 1
	g.start = g.end
	for g.start > 0 && f.changed[g.start-1] {
		g.start--
	}
	return true
}

// slideDown moves a non-empty run one line down, when its first line equals
// the line after it, and merges it with a run it then touches.
func (f *diffFile) slideDown(g *diffGroup) bool {
	if g.end == len(f.changed) || !bytes.Equal(f.rec(g.start), f.rec(g.end)) {
		return false
	}
	f.changed[g.start], f.changed[g.end] = false, true
	g.start, g.end = g.start+1, g.end+1
	for g.end < len(f.changed) && f.changed[g.end] {
		g.end++
	}
	return true
}

// slideUp moves a non-empty run one line up, when its last line equals the
// line before it, and merges it with a run it then touches.
func (f *diffFile) slideUp(g *diffGroup) bool {
	if g.start == 0 || !bytes.Equal(f.rec(g.start-1), f.rec(g.end-1)) {
		return false
	}
	f.changed[g.start-1], f.changed[g.end-1] = true, false
	g.start, g.end = g.start-1, g.end-1
	for g.start > 0 && f.changed[g.start-1] {
		g.start--
	}
	return true
}

// diffChange is one run of changes: a[a0:a1] replaced by b[b0:b1].
type diffChange struct{ a0, a1, b0, b1 int }

// unified writes the changes as hunks with diffContext lines of context,
// one hunk for changes whose contexts would overlap or touch.
func unified(path string, a, b *diffFile) string {
	var changes []diffChange
	for i, j := 0, 0; i < len(a.changed) || j < len(b.changed); {
		if (i < len(a.changed) && a.changed[i]) || (j < len(b.changed) && b.changed[j]) {
			c := diffChange{a0: i, b0: j}
			for i < len(a.changed) && a.changed[i] {
				i++
			}
			for j < len(b.changed) && b.changed[j] {
				j++
			}
			c.a1, c.b1 = i, j
			changes = append(changes, c)
			continue
		}
		i, j = i+1, j+1
	}
	if len(changes) == 0 {
		return ""
	}

	var out strings.Builder
	out.WriteString("--- a/" + path + "\n+++ b/" + path + "\n")
	for len(changes) > 0 {
		n := 1
		for n < len(changes) && changes[n].a0-changes[n-1].a1 <= 2*diffContext {
			n++
		}
		hunk := changes[:n]
		changes = changes[n:]
		first, last := hunk[0], hunk[n-1]
		before := min(diffContext, first.a0)
		after := min(diffContext, a.n()-last.a1)
		a0, a1 := first.a0-before, last.a1+after
		b0, b1 := first.b0-before, last.b1+after
		out.WriteString("@@ -" + hunkRange(a0, a1-a0) + " +" + hunkRange(b0, b1-b0) + " @@\n")
		i := a0
		for _, c := range hunk {
			for ; i < c.a0; i++ {
				writeDiffLine(&out, ' ', a.rec(i))
			}
			for ; i < c.a1; i++ {
				writeDiffLine(&out, '-', a.rec(i))
			}
			for j := c.b0; j < c.b1; j++ {
				writeDiffLine(&out, '+', b.rec(j))
			}
		}
		for ; i < a1; i++ {
			writeDiffLine(&out, ' ', a.rec(i))
		}
	}
	return out.String()
}

// hunkRange is one side of a hunk header: "start,count", 1-based, with the
// count left out when it is 1 and, for an empty range, the line it follows.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return strconv.Itoa(start) + ",0"
	case 1:
		return strconv.Itoa(start + 1)
	}
	return strconv.Itoa(start+1) + "," + strconv.Itoa(count)
}

func writeDiffLine(out *strings.Builder, prefix byte, line []byte) {
	out.WriteByte(prefix)
	out.Write(line)
	if len(line) == 0 || line[len(line)-1] != '\n' {
		out.WriteString("\n\\ No newline at end of file\n")
	}
}
