package manifest

import (
	"regexp"
	"strings"
	"testing"
)

// The promoter's own rules, as it states them.
var (
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	tagRE    = regexp.MustCompile(`^\w[\w.-]{0,127}$`)
	// A release names a group in a comment line: a git tag or image tag.
	releaseRE = regexp.MustCompile(`^\w[\w.+/-]{0,127}$`)
)

// FuzzRulesMatchRegexps holds the hand-written checks to the regexps.
func FuzzRulesMatchRegexps(f *testing.F) {
	for _, s := range []string{
		d1, strings.ToUpper(d1), d1[:70], d1 + "0", "sha512:" + d1[7:], "sha256:" + strings.Repeat("g", 64),
		"v1.2.3", "_x", ".v1", "-v1", "v1/2", "v1 2", "", "v" + strings.Repeat("1", 127), "v" + strings.Repeat("1", 128),
		"latest", "é1", "v1\n", "controller/v1.2.3", "v1.2.3+build.1", "v1.2.3 final", "v1#2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDigest(s), digestRE.MatchString(s); got != want {
			t.Errorf("isDigest(%q) = %v, regexp says %v", s, got, want)
		}
		if got, want := isTag(s), tagRE.MatchString(s); got != want {
			t.Errorf("isTag(%q) = %v, regexp says %v", s, got, want)
		}
		if got, want := isRelease(s), releaseRE.MatchString(s); got != want {
			t.Errorf("isRelease(%q) = %v, regexp says %v", s, got, want)
		}
	})
}

func TestImageNames(t *testing.T) {
	for name, want := range map[string]bool{
		"kueue": true, "charts/kueue": true, "kube-apiserver-amd64": true, "a__b": true, "a---b": true, "a.b_c": true,
		"": false, "Kueue": false, "a/": false, "/a": false, "a//b": false, "-a": false, "a-": false, "a._b": false,
		"a___b": false, "a b": false, "app\n  dmap: {}": false,
	} {
		if got := isImageName(name); got != want {
			t.Errorf("isImageName(%q) = %v, want %v", name, got, want)
		}
	}
}
