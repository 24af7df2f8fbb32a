// Command load sends signed webhooks at the real promoter binary on
// loopback and reports sustained events/s, ack latency percentiles, peak
// RSS, and whether the PRs match the distinct (project, tag) promoted.
//
//	make build && go run ./hack/load -events 10000 -rate 1000
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/promoter/pkg/hook"
	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

const config = `manifestRepo: kubernetes/k8s.io
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
`

// settleWait bounds the wait for the promotions after the last event.
var settleWait = 2 * time.Minute

type options struct {
	promoterBin, fakegithubBin string
	events, rate, senders      int
	tags, workers              int
	standInNice                int
}

func main() {
	var o options
	flag.StringVar(&o.promoterBin, "promoter", "bin/promoter", "promoter binary")
	flag.StringVar(&o.fakegithubBin, "fakegithub", "bin/fakegithub", "GitHub stand-in binary")
	flag.IntVar(&o.events, "events", 10000, "webhooks to send (bounded: at most 100000)")
	flag.IntVar(&o.rate, "rate", 1000, "target events per second")
	flag.IntVar(&o.senders, "senders", 8, "concurrent senders")
	flag.IntVar(&o.tags, "tags", 20, "distinct release tags among the events")
	flag.IntVar(&o.workers, "workers", 4, "promoter's --workers: promotions worked on at once, on the same cores as the load")
	flag.IntVar(&o.standInNice, "stand-in-nice", 10, "niceness added to the GitHub stand-in and its git, 0 to 19 (0: it competes with promoter for the cores as an equal)")
	flag.Parse()
	if o.events > 100000 || o.rate < 1 || o.senders < 1 || o.tags < 1 || o.standInNice < 0 || o.standInNice > 19 {
		fmt.Fprintln(os.Stderr, "load: bad flags")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "promoter-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	reg := harness.StartRegistry()
	defer reg.Close()
	ctx, cancel := harness.Deadline(time.Minute)
	defer cancel()
	s, err := harness.NewStack(ctx, harness.StackOptions{Dir: dir, PromoterBin: o.promoterBin, FakeGitHubBin: o.fakegithubBin, StandInNice: o.standInNice,
		Config: config, Secret: "load-secret", Token: "load-token", ExtraArgs: []string{"--log-level", "info", "--workers", strconv.Itoa(o.workers)}})
	if err != nil {
		return err
	}
	defer s.Stop()
	if _, err := harness.SeedManifestRepo(s.Root, reg.Host+"/k8s-staging-apisnoop"); err != nil {
		return err
	}
	head, err := harness.SeedSourceRepo(s.Root)
	if err != nil {
		return err
	}
	for i := 0; i < o.tags; i++ {
		if _, err := reg.PushIndex("k8s-staging-apisnoop/snoopdb", fmt.Sprintf("v20261124-v1.%d.0", i), "linux/amd64", "linux/arm64"); err != nil {
			return err
		}
		if _, err := server.Tag(s.Root, "kubernetes-sigs", "apisnoop", fmt.Sprintf("v1.%d.0", i), head, false); err != nil {
			return err
		}
	}
	if err := s.StartPromoter(ctx); err != nil {
		return err
	}
	lat, elapsed := send(s.Promoter+"/", events(o, head), o)
	rss := peakRSS(s)
	ctx2, cancel2 := harness.Deadline(settleWait)
	defer cancel2()
	err = harness.WaitFor(ctx2, s.P, "every promotion to settle", func() bool { return settled(s.Promoter) == o.tags })
	prs, perr := harness.PRs(s.GitHub, "kubernetes/k8s.io", "all")
	report(o, lat, elapsed, rss, len(prs))
	if err != nil {
		all, _ := harness.Promotions(s.Promoter)
		for _, st := range all {
			if st.Stage != promoter.StagePROpen {
				fmt.Printf("  %s %s: %s %s\n", st.Tag, st.Stage, st.Error, st.Note)
			}
		}
		return err
	}
	if perr != nil {
		return perr
	}
	if len(prs) != o.tags {
		return fmt.Errorf("%d PRs for %d distinct tags", len(prs), o.tags)
	}
	return nil
}

// event is one webhook to send.
type event struct {
	kind string
	body []byte
}

// events mixes relevant tag pushes (each tag many times: redeliveries),
// branch pushes, pushes to other repositories and comments with no
// command, as a busy Prow forwards them.
// events are the mix of webhooks; the release tags all point at head, as
// the push events say (head_commit).
func events(o options, head string) []event {
	var out []event
	release := 0
	for i := 0; i < o.events; i++ {
		switch i % 4 {
		case 0, 1:
			out = append(out, event{"push", harness.TagPushEvent("kubernetes-sigs/apisnoop", fmt.Sprintf("v1.%d.0", release%o.tags), head, head)})
			release++
		case 2:
			b := bytes.Replace(harness.PushEvent("kubernetes-sigs/apisnoop", "x", head), []byte("refs/tags/x"), []byte("refs/heads/main"), 1)
			if i%8 == 6 {
				b = harness.PushEvent("kubernetes-sigs/kueue", "v0.9.0", head)
			}
			out = append(out, event{"push", b})
		case 3:
			c := harness.Comment{ID: i, Body: "lgtm, thanks"}
			c.User.Login = "alice"
			out = append(out, event{"issue_comment", harness.CommentEvent("kubernetes-sigs/apisnoop", 1, false, c, "created")})
		}
	}
	return out
}

// send paces the events at the target rate over several senders and
// returns each ack's latency.
func send(url string, evs []event, o options) ([]time.Duration, time.Duration) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.senders}, Timeout: 10 * time.Second}
	lat := make([]time.Duration, len(evs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < o.senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				lat[i] = post(client, url, evs[i])
			}
		}()
	}
	start := time.Now()
	interval := time.Second / time.Duration(o.rate)
	for i := range evs {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait) // pacing the sender, not waiting for a condition
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return lat, time.Since(start)
}

func post(client *http.Client, url string, ev event) time.Duration {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(ev.body))
	s256, s1 := hook.Sign(ev.body, []byte("load-secret"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", ev.kind)
	req.Header.Set("X-GitHub-Delivery", "GUID")
	req.Header.Set("X-Hub-Signature-256", s256)
	req.Header.Set("X-Hub-Signature", s1)
	start := time.Now()
	resp, err := client.Do(req)
	d := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		return -1
	}
	resp.Body.Close()
	return d
}

// peakRSS is the promoter process's high-water RSS (VmHWM) in KiB.
func peakRSS(s *harness.Stack) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.P.PID()))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return -1
}

func settled(url string) int {
	all, err := harness.Promotions(url)
	if err != nil {
		return -1
	}
	n := 0
	for _, st := range all {
		if st.Stage == promoter.StagePROpen {
			n++
		}
	}
	return n
}

func report(o options, lat []time.Duration, elapsed time.Duration, rssKiB, prs int) {
	var ok []time.Duration
	failed := 0
	for _, d := range lat {
		if d < 0 {
			failed++
			continue
		}
		ok = append(ok, d)
	}
	sort.Slice(ok, func(i, j int) bool { return ok[i] < ok[j] })
	pct := func(p float64) time.Duration {
		if len(ok) == 0 {
			return 0
		}
		return ok[int(p*float64(len(ok)-1))]
	}
	fmt.Printf("events %d (failed %d) in %v: %.0f events/s (target rate %d/s, %d senders)\n",
		len(lat), failed, elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(), o.rate, o.senders)
	fmt.Printf("ack latency p50 %v p99 %v max %v (promoter --workers %d, stand-in at nice %d)\n", pct(0.50), pct(0.99), pct(1), o.workers, o.standInNice)
	fmt.Printf("promoter peak RSS %.1f MB\n", float64(rssKiB)/1024)
	fmt.Printf("PRs %d for %d distinct (project, tag)\n", prs, o.tags)
}
