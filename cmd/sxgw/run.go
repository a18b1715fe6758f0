package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sxgw/sxgw"
	"github.com/sxgw/sxgw/gateway"
	"github.com/sxgw/sxgw/internal/config"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure, or forced by a second signal
	exitUsage   = 2 // bad flags or configuration problems
)

// run is the whole command: it parses args (without the program name),
// writes output to stdout and stderr, and returns the exit status. Canceling
// ctx acts like a first SIGTERM.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == toolSDP2Jingle || args[0] == toolJingle2SDP) {
		return sdpTool(args, os.Stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("sxgw", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration `file` (TOML)")
	checkConfig := fs.Bool("check-config", false, "load and validate the configuration, print the problems, then exit")
	printExample := fs.Bool("print-example-config", false, "print the example configuration (every key with its default) and exit")
	version := fs.Bool("version", false, "print version information and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sxgw -config FILE [-check-config]\n       sxgw -print-example-config\n       sxgw -version\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sxgw: unexpected arguments: %q\n", fs.Args())
		fs.Usage()
		return exitUsage
	}

	switch {
	case *version:
		printVersion(stdout, gateway.ReadBuildInfo())
		return exitOK
	case *printExample:
		if _, err := stdout.Write(sxgw.ExampleConfig()); err != nil {
			fmt.Fprintf(stderr, "sxgw: %v\n", err)
			return exitFailure
		}
		return exitOK
	case *configPath == "":
		fmt.Fprintln(stderr, "sxgw: -config is required")
		fs.Usage()
		return exitUsage
	}

	cfg, ok := loadConfig(*configPath, stderr)
	if !ok {
		return exitUsage
	}
	if *checkConfig {
		for _, w := range cfg.Warnings() {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		fmt.Fprintln(stdout, "config ok")
		return exitOK
	}
	return serve(ctx, cfg, stderr)
}

// loadConfig loads and validates the file at path. On failure it prints
// every problem, one per line, and returns false.
func loadConfig(path string, stderr io.Writer) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil {
		return cfg, true
	}
	var problems []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		problems = j.Unwrap()
	} else {
		problems = []error{err}
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) == 1 {
		fmt.Fprintf(stderr, "sxgw: %s: 1 problem\n", path)
	} else {
		fmt.Fprintf(stderr, "sxgw: %s: %d problems\n", path, len(problems))
	}
	return nil, false
}

// printVersion writes one line: "sxgw VERSION [(revision REV[, modified])] GOVERSION".
func printVersion(w io.Writer, b gateway.BuildInfo) {
	fmt.Fprintf(w, "sxgw %s", b.Version)
	if b.Revision != "" {
		fmt.Fprintf(w, " (revision %s", b.Revision)
		if b.Modified {
			fmt.Fprint(w, ", modified")
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintf(w, " %s\n", b.GoVersion)
}
