package registry

import (
	"regexp"
	"slices"
	"testing"
)

func TestMatchingNewestFirst(t *testing.T) {
	tags := []string{
		"v1.2.3",
		"v20260822-v1.2.3",
		"latest",
		"20260823-v1.2.3", // image-builder without the leading v
		"v20260822-v1.2.3-1-gabcdef0",
		"v20261399-v1.2.3", // not a date: ranked with the undated tags
		"v20260821-v1.2.3",
		"v1.2.3-2",
	}
	whole, err := anchor(regexp.MustCompile(`(v?[0-9]{8}-)?v1\.2\.3(-.*)?`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"20260823-v1.2.3",
		"v20260822-v1.2.3-1-gabcdef0",
		"v20260822-v1.2.3",
		"v20260821-v1.2.3",
		"v20261399-v1.2.3",
		"v1.2.3-2",
		"v1.2.3",
	}
	if got := matching(tags, whole); !slices.Equal(got, want) {
		t.Errorf("matching =\n  %q\nwant\n  %q", got, want)
	}
}

// RE2 alternation is leftmost-first: checking the span of FindString would
// reject "v1.2" for "v1|v1.2", so the pattern is wrapped instead.
func TestAnchorAlternation(t *testing.T) {
	whole, err := anchor(regexp.MustCompile(`v1|v1\.2`))
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]bool{"v1": true, "v1.2": true, "v1.2.3": false, "xv1": false} {
		if got := whole.MatchString(tag); got != want {
			t.Errorf("match %q = %v, want %v", tag, got, want)
		}
	}
}

func TestMultiArch(t *testing.T) {
	for _, tc := range []struct {
		b    Build
		want bool
	}{
		{Build{Index: true, Platforms: []string{"linux/amd64", "linux/arm64"}}, true},
		{Build{Index: true, Platforms: []string{"linux/amd64"}}, false},
		{Build{Index: true, Platforms: []string{UnknownPlatform}}, false},
		{Build{Index: false, Platforms: []string{"linux/amd64", "linux/arm64"}}, false},
	} {
		if got := tc.b.MultiArch(); got != tc.want {
			t.Errorf("%+v.MultiArch() = %v, want %v", tc.b, got, tc.want)
		}
	}
}
