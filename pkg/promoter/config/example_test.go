package config

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// The shipped example config must be valid, and deploy/'s ConfigMap must
// carry exactly it.
func TestShippedConfigs(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	example, err := os.ReadFile(filepath.Join(root, "config", "apisnoop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(example); err != nil {
		t.Errorf("config/apisnoop.yaml: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "deploy", "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["config.yaml"] != string(example) {
		t.Error("deploy/configmap.yaml's config.yaml differs from config/apisnoop.yaml")
	}
}
