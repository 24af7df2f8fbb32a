package hook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"sync"

	"sigs.k8s.io/prow/pkg/github"
	"sigs.k8s.io/yaml"
)

// secrets reads hook's HMAC secret file: one token, or Prow's map from
// "org/repo", "org" or "*" to several tokens (so a secret can be rotated).
// The parsed form is cached until the file's bytes change: parsing YAML on
// every webhook would cost more than the rest of the request.
type secrets struct {
	file func() []byte

	mu     sync.Mutex
	raw    []byte
	single []byte
	scoped map[string]github.HMACsForRepo
}

func (s *secrets) load() ([]byte, map[string]github.HMACsForRepo) {
	raw := s.file()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.raw != nil && bytes.Equal(raw, s.raw) {
		return s.single, s.scoped
	}
	s.raw = append([]byte(nil), raw...)
	s.single, s.scoped = nil, nil
	m := map[string]github.HMACsForRepo{}
	// Prow's rule: what does not read as the map is a single token.
	if err := yaml.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		s.single = bytes.TrimSpace(raw)
	} else {
		s.scoped = m
	}
	return s.single, s.scoped
}

// keys returns the tokens valid for repo ("org/repo"), most specific scope
// first as Prow does: a repo entry hides the org's and the global one.
func (s *secrets) keys(repo string) [][]byte {
	single, scoped := s.load()
	if scoped == nil {
		if len(single) == 0 {
			return nil // an empty secret must not validate anything
		}
		return [][]byte{single}
	}
	org, _, _ := strings.Cut(repo, "/")
	for _, scope := range []string{repo, org, "*"} {
		if toks, ok := scoped[scope]; ok && scope != "" {
			var out [][]byte
			for _, t := range toks {
				if t.Value != "" {
					out = append(out, []byte(t.Value))
				}
			}
			return out
		}
	}
	return nil
}

// valid checks the body against X-Hub-Signature-256 when present (GitHub's
// recommendation), else X-Hub-Signature (SHA-1, all Prow's hook and phony
// send at our version). The comparison is constant-time.
func (s *secrets) valid(sig256, sig1, scope string, body []byte) bool {
	var newHash func() hash.Hash
	var sig string
	switch {
	case sig256 != "":
		newHash, sig = sha256.New, strings.TrimPrefix(sig256, "sha256=")
		if sig == sig256 {
			return false
		}
	case sig1 != "":
		newHash, sig = sha1.New, strings.TrimPrefix(sig1, "sha1=")
		if sig == sig1 {
			return false
		}
	default:
		return false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	for _, key := range s.keys(scope) {
		mac := hmac.New(newHash, key)
		mac.Write(body)
		if hmac.Equal(want, mac.Sum(nil)) {
			return true
		}
	}
	return false
}

// Sign returns the two signature headers GitHub sends for body (for tests,
// the demo and load generators).
func Sign(body, key []byte) (sig256, sig1 string) {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	sig256 = "sha256=" + hex.EncodeToString(m.Sum(nil))
	return sig256, github.PayloadSignature(body, key)
}
