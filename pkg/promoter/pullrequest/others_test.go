package pullrequest

import (
	"reflect"
	"testing"
)

func TestAddedIn(t *testing.T) {
	d1 := "sha256:" + repeat("a", 64)
	d2 := "sha256:" + repeat("b", 64)
	patch := `@@ -1,6 +1,8 @@
 - name: auditlogger
   dmap:
     "` + d2 + `": ["v0.1.0"]
+    "` + d1 + `": ["v0.3.0", "v0.3"]
@@ -20,3 +22,4 @@
     "sha256:` + repeat("c", 64) + `": ["v0.2.0"]
+    ` + d2 + `:
+    - v0.3.0
- name: old
`
	got := addedIn("registry.k8s.io/images/k8s-staging-apisnoop/images.yaml", patch)
	want := []Added{
		{Path: "registry.k8s.io/images/k8s-staging-apisnoop/images.yaml", Image: "auditlogger", Digest: d1, Tags: []string{"v0.3.0", "v0.3"}},
		{Path: "registry.k8s.io/images/k8s-staging-apisnoop/images.yaml", Image: "", Digest: d2, Tags: nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("addedIn:\n got %+v\nwant %+v", got, want)
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}
