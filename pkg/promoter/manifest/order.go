package manifest

import (
	"strconv"
	"strings"
)

// No canonical order exists for a dmap: kpromo (promo-tools' ToSorted)
// orders digests by the digest string itself, kueue is hand-ordered newest
// first, sig-storage's generator sorts by tag, others sort by version or
// append. order describes one such convention.
type order struct {
	cmp  func(a, b string) int
	desc bool
	// byDigest keys entries by their digest instead of their tags.
	byDigest bool
}

// orders in order of preference when a block fits several equally (see
// chooseOrder): version order is what people write by hand; string order
// wins only where the file shows it (v1.10.0 before v1.9.0); digest order
// comes last.
var orders = []order{
	{cmp: compareVersions},             // oldest version first
	{cmp: strings.Compare},             // smallest tag, as a string
	{cmp: compareVersions, desc: true}, // newest version first
	{cmp: strings.Compare, desc: true},
	{cmp: strings.Compare, byDigest: true}, // kpromo: by digest
}

// key is what an entry is sorted by under o: its digest, or its smallest tag
// ascending and its largest descending. ok is false for an entry without tags
// under a tag order.
func (o order) key(digest string, tags []string) (string, bool) {
	if o.byDigest {
		return digest, true
	}
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

// minEvidence is how many keyed entries a block needs before fitting o says
// anything. Two digests are always in one digest order or the other, so a
// block shows digest order only from three; tags are not random, and two
// entries in version order are already a sign of it.
func (o order) minEvidence() int {
	if o.byDigest {
		return 3
	}
	return 2
}

// fits reports whether the entries are sorted under o, and whether that is
// evidence at all (see minEvidence).
func (o order) fits(entries []Entry) (fits, evidence bool) {
	var prev string
	n := 0
	for _, e := range entries {
		k, ok := o.key(e.Digest, e.Tags)
		if !ok {
			continue
		}
		if n > 0 && o.before(k, prev) {
			return false, true
		}
		prev, n = k, n+1
	}
	return true, n >= o.minEvidence()
}

// chooseOrder picks the convention for inserting into img: among those img's
// own entries fit, the one most images of the file (img included) show. ok
// is false when the file shows no order (unsorted, or too few entries to
// tell): then new entries are appended.
//
// When img fits several, the order of orders breaks the tie, tag orders
// before digest order. Digests are random strings, so a block kept in tag
// order fits digest order by chance with probability 1/n! for n entries, and
// a block kept in digest order fits a tag order by the same chance: the fit
// itself cannot tell them apart, and how common each convention is decides.
// In the k8s.io corpus (2024, both trees) 507 blocks of three or more
// digests keep a tag order and 5 (all legacy k8s.gcr.io copies) keep digest
// order alone; 11 fit both, near the 6.5 that chance predicts among the
// tag-ordered ones. So a block that fits both is taken to keep its tag order.
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
