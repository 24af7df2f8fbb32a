// Command ghapi-check checks recorded GitHub API exchanges (the JSON lines
// the stand-in's --record writes) against GitHub's published API
// descriptions, printing each violation with its request and a count line.
//
//	go run ./test/ghapi/cmd/ghapi-check FILE.jsonl|DIR...
//
// It exits 1 on any violation, 2 when the descriptions cannot be had.
package main

import (
	"context"
	"fmt"
	"os"

	"sigs.k8s.io/promoter/test/ghapi"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ghapi-check FILE.jsonl|DIR...")
		os.Exit(2)
	}
	var exs []ghapi.Exchange
	for _, arg := range os.Args[1:] {
		read := ghapi.ReadFile
		if st, err := os.Stat(arg); err == nil && st.IsDir() {
			read = ghapi.ReadDir
		}
		got, err := read(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		exs = append(exs, got...)
	}
	ctx := context.Background()
	c, err := ghapi.Load(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := c.CheckAll(ctx, exs)
	for _, v := range r.Violations {
		fmt.Println(v)
	}
	fmt.Println(r.Summary())
	if len(r.Violations) > 0 {
		os.Exit(1)
	}
}
