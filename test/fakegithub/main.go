// Command fakegithub serves a GitHub stand-in over real bare git
// repositories (see the server package and README.md).
//
//	fakegithub --addr 127.0.0.1:8080 --root DIR [--bot-login promoter-bot] [--access FILE] [--record FILE] [--content-limit N]
//
// Once listening it prints "fakegithub listening on http://ADDR" on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"sigs.k8s.io/promoter/test/fakegithub/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	root := flag.String("root", "", "directory holding <owner>/<repo>.git and the state file (required)")
	bot := flag.String("bot-login", server.DefaultBotLogin, "login of the user a token not in the access file authenticates as")
	access := flag.String("access", "", "access file (default <root>/_access.yaml)")
	quiet := flag.Bool("quiet", false, "do not log each request to stderr")
	record := flag.String("record", "", "append every API exchange to this file as JSON lines (for checking against GitHub's API descriptions)")
	contentLimit := flag.Int("content-limit", 0, "secondary rate limit: content-creating requests (REST writes, GraphQL mutations) allowed per user per --content-window; 0 is no limit (GitHub's: 80 a minute)")
	contentWindow := flag.Duration("content-window", time.Minute, "the window of --content-limit")
	flag.Parse()
	if *root == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: fakegithub --addr HOST:PORT --root DIR [--bot-login LOGIN] [--access FILE] [--quiet] [--record FILE] [--content-limit N [--content-window D]]")
		os.Exit(2)
	}
	logger := log.New(os.Stderr, "fakegithub: ", log.LstdFlags|log.Lmicroseconds)
	cfg := server.Config{Root: *root, BotLogin: *bot, AccessFile: *access, ContentLimit: *contentLimit, ContentWindow: *contentWindow}
	if !*quiet {
		cfg.Logf = logger.Printf
	}
	if *record != "" {
		f, err := os.OpenFile(*record, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			logger.Fatal(err)
		}
		defer f.Close()
		cfg.Record = f
	}
	srv, err := server.New(cfg)
	if err != nil {
		logger.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Printf("fakegithub listening on http://%s\n", ln.Addr())
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Fatal(err)
		}
	case <-ctx.Done():
		logger.Print("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			logger.Printf("shutdown: %v", err)
		}
	}
}
