package manifest

import (
	"bytes"
	"flag"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

var looAll = flag.Bool("loo.all", false, "TestLeaveOneOut: replay every digest entry of the larger files too, not a sample")

// looBudget bounds, per file, the bytes TestLeaveOneOut parses twice per
// replay (unless -loo.all): a file of size s replays at most looBudget/s of
// its entries, spread evenly over them. Every replay of the 1.2 MB
// kubernetes file costs about 25 ms, and it has 12,506 entries.
const looBudget = 4 << 20

// looTally counts replays and how many came back byte for byte.
type looTally struct{ n, same int }

func (t *looTally) add(same bool) {
	t.n++
	if same {
		t.same++
	}
}

func (t looTally) String() string {
	if t.n == 0 {
		return "0"
	}
	return fmt.Sprintf("%d/%d (%.1f%%)", t.same, t.n, 100*float64(t.same)/float64(t.n))
}

// TestLeaveOneOut stands in for a replay of real promotion PRs: for each
// image block with at least two digests, it removes one digest entry and
// promotes it again through the editor, and counts how often the file comes
// back byte-identical, overall and by the order the block keeps (classified
// here, independently of how the editor chooses). Files larger than 80 KB
// replay an even sample of their entries (see looBudget) unless -loo.all.
//
//	go test ./pkg/promoter/manifest -run TestLeaveOneOut -v [-args -loo.all]
func TestLeaveOneOut(t *testing.T) {
	files := corpusFiles(t)
	byTree := map[string]*looTally{}
	byClass := map[string]*looTally{}
	var all looTally
	var misses []string
	sampled := map[string]int{}
	for _, f := range files {
		m, err := Parse(f.src)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		tree, _, _ := strings.Cut(f.name, "/")
		var trials []looTrial
		for _, img := range m.Images {
			if len(img.Digests) < 2 {
				continue
			}
			class := blockOrderClass(img.Digests)
			for _, e := range img.Digests {
				trials = append(trials, looTrial{img.Name, class, e})
			}
		}
		if max := looBudget / len(f.src); !*looAll && len(trials) > max {
			trials = evenSample(trials, max)
			sampled[f.name] = max
		}
		for _, tr := range trials {
			same := replaysExactly(f.src, tr.image, tr.e)
			all.add(same)
			tally(byTree, tree).add(same)
			tally(byClass, tr.class).add(same)
			if !same && len(misses) < 400 {
				misses = append(misses, fmt.Sprintf("%s:%d %s [%s]", f.name, tr.e.Line, tr.image, tr.class))
			}
		}
	}
	t.Logf("leave-one-out: %s byte-identical", all)
	for _, k := range sortedKeys(sampled) {
		t.Logf("  (sampled: %d entries of %s; -loo.all replays all)", sampled[k], k)
	}
	for _, k := range sortedKeys(byTree) {
		t.Logf("  %-18s %s", k, byTree[k])
	}
	for _, k := range sortedKeys(byClass) {
		t.Logf("  %-40s %s", k, byClass[k])
	}
	if testing.Verbose() {
		for _, m := range misses {
			t.Logf("  miss %s", m)
		}
	}
	if all.n < 1000 {
		t.Fatalf("only %d replays; the corpus is not what this test expects", all.n)
	}
	// Blocks in one order come back where that order puts them. The misses
	// left: a block that fits another order once an entry is gone, and
	// entries the editor does not write (unquoted digests, a 63-digit one).
	for class, c := range byClass {
		floor := 0.97
		switch {
		case class == "digest order only":
			floor = 0.9
		case !strings.HasPrefix(class, "tag order"):
			continue
		}
		if float64(c.same) < floor*float64(c.n) {
			t.Errorf("%s: %s byte-identical, want at least %.0f%%", class, c, 100*floor)
		}
	}
}

// replaysExactly removes entry e of image name from src and promotes it again.
func replaysExactly(src []byte, name string, e Entry) bool {
	cut := withoutLines(src, e.Line-1, e.list.end)
	m, err := Parse(cut)
	if err != nil {
		return false
	}
	r, err := m.Add(Promotion{Image: name, Digest: e.Digest, Tags: e.Tags})
	return err == nil && bytes.Equal(r.Content, src)
}

// looTrial is one entry to remove and promote again.
type looTrial struct {
	image, class string
	e            Entry
}

// evenSample picks n of s, evenly spread, the last one included.
func evenSample[T any](s []T, n int) []T {
	out := make([]T, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, s[i*len(s)/n-1])
	}
	return out
}

// blockOrderClass names the order a block's entries keep, judged on the
// whole block: by tag (version or string order, ascending or descending,
// keyed by the entry's smallest or largest tag) and by digest string.
func blockOrderClass(entries []Entry) string {
	if len(entries) == 2 {
		return "two digests (any order fits)"
	}
	var tagOrders []string
	for _, o := range []struct {
		name string
		o    order
	}{
		{"version", order{cmp: compareVersions}},
		{"string", order{cmp: strings.Compare}},
		{"version desc", order{cmp: compareVersions, desc: true}},
		{"string desc", order{cmp: strings.Compare, desc: true}},
	} {
		if fits, evidence := o.o.fits(entries); fits && evidence {
			tagOrders = append(tagOrders, o.name)
		}
	}
	byDigest := slices.IsSortedFunc(entries, func(a, b Entry) int { return strings.Compare(a.Digest, b.Digest) })
	switch {
	case byDigest && len(tagOrders) == 0:
		return "digest order only"
	case byDigest:
		return "digest and tag order (" + strings.Join(tagOrders, ", ") + ")"
	case len(tagOrders) == 0:
		return "unordered"
	}
	return "tag order (" + strings.Join(tagOrders, ", ") + ")"
}

func tally(m map[string]*looTally, k string) *looTally {
	if m[k] == nil {
		m[k] = &looTally{}
	}
	return m[k]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
