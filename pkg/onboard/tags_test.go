package onboard

import (
	"reflect"
	"regexp"
	"sort"
	"testing"
)

func TestDerivePattern(t *testing.T) {
	cases := []struct {
		name   string
		tags   []string
		want   string
		match  []string
		reject []string
	}{
		{"semver", []string{"v0.1.0", "v0.2.0"}, `^v\d+\.\d+\.\d+$`, []string{"v10.20.30"}, []string{"v1.2.3-rc.1", "1.2.3", "v1.2"}},
		{"pre-releases seen", []string{"v1.0.0", "v1.1.0-rc.1", "v1.1.0-beta.2", "v1.1.0"}, `^v\d+\.\d+\.\d+(?:-(?:beta|rc)\.\d+)?$`,
			[]string{"v1.2.0-rc.3", "v2.0.0"}, []string{"v1.2.0-alpha.1", "v1.2.0-rc3"}},
		{"undotted pre-release", []string{"v0.5.0", "v0.3.0-rc1"}, `^v\d+\.\d+\.\d+(?:-(?:rc)(?:\.?\d+)?)?$`, []string{"v0.6.0-rc2"}, nil},
		{"no v", []string{"1.23.0", "1.23.1"}, `^\d+\.\d+\.\d+$`, []string{"1.24.0"}, []string{"v1.24.0"}},
		{"the common form wins over floating tags", []string{"v0.1.0", "v0.1", "v0.2.0", "v0.2.1"}, `^v\d+\.\d+\.\d+$`, nil, []string{"v0.3"}},
		{"prefixed", []string{"controller-v1.2.0", "controller-v1.3.0"}, `^controller-v\d+\.\d+\.\d+$`, nil, []string{"v1.4.0"}},
		{"build tags are no release tags", []string{"v20230101-controller-v1.5.1-49-ge3e0d9c1f", "v20240501-40f94ef1b", "v1.0.0"}, `^v\d+\.\d+\.\d+$`, nil, nil},
	}
	for _, c := range cases {
		p, ok := DerivePattern(c.tags)
		if !ok || p.Regexp != c.want {
			t.Errorf("%s: pattern %q (ok %v), want %q", c.name, p.Regexp, ok, c.want)
			continue
		}
		re := regexp.MustCompile(p.Regexp)
		for _, m := range p.Matched {
			if !re.MatchString(m) {
				t.Errorf("%s: Matched holds %q, which the pattern rejects", c.name, m)
			}
		}
		for _, s := range c.match {
			if !re.MatchString(s) {
				t.Errorf("%s: %s does not match %q", c.name, p.Regexp, s)
			}
		}
		for _, s := range c.reject {
			if re.MatchString(s) {
				t.Errorf("%s: %s matches %q", c.name, p.Regexp, s)
			}
		}
	}
	if _, ok := DerivePattern([]string{"v20200612-1c5d751"}); ok {
		t.Error("a pattern from build tags alone")
	}
}

func TestCompareVersionsOrdersReleases(t *testing.T) {
	want := []string{"v0.9.0", "v1.2.0-alpha.1", "v1.2.0-beta.0", "v1.2.0-rc.2", "v1.2.0-rc.10", "v1.2.0", "v1.10.0", "v10.0.0"}
	got := append([]string{}, want...)
	sort.Slice(got, func(i, j int) bool { return CompareVersions(got[i], got[j]) > 0 })
	sort.Slice(got, func(i, j int) bool { return CompareVersions(got[i], got[j]) < 0 })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if series("v1.30.2") != "1.30" || series("3.10") != "3.10" {
		t.Error("series")
	}
}

func TestReleaseTagsFromPromoted(t *testing.T) {
	cases := []struct {
		gitTags, promotedTag, promoted, want string
		ok                                   bool
	}{
		{`^v\d+\.\d+\.\d+$`, "{{.Tag}}", "v1.2.3", "v1.2.3", true},
		{`^v\d+\.\d+\.\d+$`, "{{.Tag}}", "1.2.3", "", false},
		// kops: git tag v1.29.0, promoted as 1.29.0.
		{`^v(?P<version>\d+\.\d+\.\d+(?:-(?:alpha|beta)\.\d+)?)$`, "{{.version}}", "1.29.0-beta.1", "v1.29.0-beta.1", true},
		// kustomize: git tag kustomize/v5.4.2, promoted as v5.4.2.
		{`^kustomize/(?P<version>v\d+\.\d+\.\d+)$`, "{{.version}}", "v5.4.2", "kustomize/v5.4.2", true},
		// A monorepo image promoted as v<version> from <image>-<version>.
		{`^auditlogger-(?P<version>\d+\.\d+\.\d+)$`, "v{{.version}}", "v0.2.0", "auditlogger-0.2.0", true},
		{`^auditlogger-(?P<version>\d+\.\d+\.\d+)$`, "v{{.version}}", "0.2.0", "", false},
	}
	for _, c := range cases {
		rt, err := newReleaseTags(c.gitTags, c.promotedTag)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := rt.fromPromoted(c.promoted)
		if got != c.want || ok != c.ok {
			t.Errorf("%s / %s: %q gives git tag %q (%v), want %q (%v)", c.gitTags, c.promotedTag, c.promoted, got, ok, c.want, c.ok)
		}
	}
	rt, _ := newReleaseTags(`^kustomize/(?P<version>v\d+\.\d+\.\d+)$`, "{{.version}}")
	if ex, ok := rt.example(); !ok || ex != "kustomize/v0.0.0" {
		t.Errorf("example %q (%v)", ex, ok)
	}
}

func TestIsBuildTag(t *testing.T) {
	for tag, want := range map[string]bool{
		"v20260822-v1.2.3":                          true,
		"v20250131-478cd5d":                         true,
		"20190821-v2.2.1-2-gc29e4fc":                true,
		"v20230101-controller-v1.5.1-49-ge3e0d9c1f": true,
		"v1.2.3":          false,
		"1.2019.6":        false,
		"v0.5.2-k8s.v1.2": false,
	} {
		if IsBuildTag(tag) != want {
			t.Errorf("IsBuildTag(%q) = %v", tag, !want)
		}
	}
}
