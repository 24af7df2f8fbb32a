// Package ghapi checks recorded exchanges with the GitHub API (requests a
// client sent and the answers it got) against GitHub's own published
// descriptions of that API: its GraphQL schema and its REST OpenAPI
// description, both fetched at pinned versions from npm (see Published).
//
// The GitHub stand-in (test/fakegithub) records exchanges with --record;
// test/e2e checks every exchange of its run with Check after the tests.
package ghapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Exchange is one recorded request and its answer (the JSON lines the
// stand-in's --record writes).
type Exchange struct {
	Time           time.Time         `json:"time"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`  // escaped, as sent
	Query          string            `json:"query"` // raw query string
	RequestHeader  map[string]string `json:"requestHeader,omitempty"`
	RequestBody    string            `json:"requestBody"`
	Status         int               `json:"status"`
	ResponseHeader map[string]string `json:"responseHeader,omitempty"`
	ResponseBody   string            `json:"responseBody"`

	// Source is the file and line the exchange was read from.
	Source string `json:"-"`
}

// Request is the exchange's request line, e.g. "GET /user?per_page=100".
func (ex Exchange) Request() string {
	if ex.Query != "" {
		return ex.Method + " " + ex.Path + "?" + ex.Query
	}
	return ex.Method + " " + ex.Path
}

// IsGraphQL reports whether the exchange went to the GraphQL endpoint.
func (ex Exchange) IsGraphQL() bool { return ex.Method == "POST" && ex.Path == "/graphql" }

// ReadFile reads the exchanges recorded in a JSON-lines file.
func ReadFile(path string) ([]Exchange, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, filepath.Base(path))
}

// Read reads recorded exchanges, one JSON object a line; name is where they
// came from (for Exchange.Source).
func Read(r io.Reader, name string) ([]Exchange, error) {
	var out []Exchange
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 512<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var ex Exchange
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		ex.Source = fmt.Sprintf("%s:%d", name, n)
		out = append(out, ex)
	}
	return out, sc.Err()
}

// ReadDir reads every *.jsonl file of dir, in name order.
func ReadDir(dir string) ([]Exchange, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Exchange
	for _, f := range files {
		exs, err := ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, exs...)
	}
	return out, nil
}
