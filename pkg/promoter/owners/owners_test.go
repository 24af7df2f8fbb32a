package owners

import (
	"slices"
	"testing"
)

func TestApprovers(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		want []string
	}{
		"simple":  {"# See the OWNERS docs\napprovers:\n- hh\n- bobymcbobs\nreviewers:\n- alice\n", []string{"hh", "bobymcbobs"}},
		"filters": {"filters:\n  \".*\":\n    approvers:\n    - carol\n  \"\\\\.yaml$\":\n    approvers:\n    - dave\n", []string{"carol"}},
		"empty":   {"# nobody yet\n", nil},
	} {
		got, err := Approvers([]byte(tc.in))
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", name, got, err, tc.want)
		}
	}
	if _, err := Approvers([]byte("approvers: [unclosed")); err == nil {
		t.Error("a broken file was read")
	}
}
