package manifest

import (
	"strconv"
	"strings"
)

// No canonical order exists for a dmap: kpromo orders digests by their
// smallest tag as a string, kueue is hand-ordered newest first, sig-storage's
// generator sorts tags as strings. order describes one such convention.
type order struct {
	cmp  func(a, b string) int
	desc bool
}

// orders in order of preference when a file's entries fit several equally:
// version order is what people write by hand; string order wins only where
// the file shows it (v1.10.0 before v1.9.0).
var orders = []order{
	{cmp: compareVersions},             // oldest version first
	{cmp: strings.Compare},             // kpromo: smallest tag, as a string
	{cmp: compareVersions, desc: true}, // newest version first
	{cmp: strings.Compare, desc: true},
}

// key is what an entry is sorted by under o: its smallest tag ascending, its
// largest descending. ok is false for an entry without tags.
func (o order) key(tags []string) (string, bool) {
	if len(tags) == 0 {
		return "", false
	}
	k := tags[0]
	for _, t := range tags[1:] {
		if c := o.cmp(t, k); (c < 0) != o.desc && c != 0 {
			k = t
		}
	}
	return k, true
}

// before reports whether an entry keyed a comes strictly before one keyed b.
func (o order) before(a, b string) bool {
	if o.desc {
		return o.cmp(a, b) > 0
	}
	return o.cmp(a, b) < 0
}

// fits reports whether the entries are sorted under o, and whether that is
// evidence at all (two or more entries with tags).
func (o order) fits(entries []Entry) (fits, evidence bool) {
	var prev string
	n := 0
	for _, e := range entries {
		k, ok := o.key(e.Tags)
		if !ok {
			continue
		}
		if n > 0 && o.before(k, prev) {
			return false, true
		}
		prev, n = k, n+1
	}
	return true, n >= 2
}

// chooseOrder picks the convention for inserting into img: among those img's
// own entries fit, the one most other images of the file fit. ok is false
// when the file shows no order (unsorted, or too few entries to tell): then
// new entries are appended.
func (m *Manifest) chooseOrder(img Image) (order, bool) {
	votes := make([]int, len(orders))
	for _, other := range m.Images {
		for i, o := range orders {
			if fits, evidence := o.fits(other.Digests); fits && evidence {
				votes[i]++
			}
		}
	}
	best := -1
	for i, o := range orders {
		fits, evidence := o.fits(img.Digests)
		if (evidence && !fits) || votes[i] == 0 {
			continue
		}
		if best < 0 || votes[i] > votes[best] {
			best = i
		}
	}
	if best < 0 {
		return order{}, false
	}
	return orders[best], true
}

// compareVersions orders tags like v1.2.3, 0.17.1, v1.25.3-rc.0 and
// v20250131-478cd5d by their numbers (v1.10.0 after v1.9.0, a pre-release
// before its release); tags that are not versions compare as strings.
func compareVersions(a, b string) int {
	va, oka := parseVersion(a)
	vb, okb := parseVersion(b)
	if !oka || !okb {
		return strings.Compare(a, b)
	}
	for i := 0; i < max(len(va.nums), len(vb.nums)); i++ {
		if c := compareInts(at(va.nums, i), at(vb.nums, i)); c != 0 {
			return c
		}
	}
	switch {
	case va.pre == vb.pre:
		return 0
	case va.pre == "":
		return 1
	case vb.pre == "":
		return -1
	}
	return comparePrerelease(va.pre, vb.pre)
}

type version struct {
	nums []int
	pre  string
}

func parseVersion(s string) (version, bool) {
	s = strings.TrimPrefix(s, "v")
	s, _, _ = strings.Cut(s, "+")
	core, pre, _ := strings.Cut(s, "-")
	var v version
	for _, part := range strings.Split(core, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return version{}, false
		}
		v.nums = append(v.nums, n)
	}
	v.pre = pre
	return v, true
}

func comparePrerelease(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < min(len(pa), len(pb)); i++ {
		na, errA := strconv.Atoi(pa[i])
		nb, errB := strconv.Atoi(pb[i])
		var c int
		switch {
		case errA == nil && errB == nil:
			c = compareInts(na, nb)
		case errA == nil:
			c = -1 // numeric identifiers sort before alphanumeric ones
		case errB == nil:
			c = 1
		default:
			c = strings.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	return compareInts(len(pa), len(pb))
}

func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
