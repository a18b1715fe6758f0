package gateway

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version   string // main module version, "(devel)" for a local build
	Revision  string // VCS revision; empty when not recorded
	Modified  bool   // the working tree had local changes
	GoVersion string // toolchain that built the binary
}

// ReadBuildInfo returns the binary's build information from
// runtime/debug.ReadBuildInfo; fields it cannot find are left empty
// (Version "(devel)").
func ReadBuildInfo() BuildInfo {
	b := BuildInfo{Version: "(devel)", GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if info.Main.Version != "" {
		b.Version = info.Main.Version
	}
	if info.GoVersion != "" {
		b.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// NewRegistry returns a registry with the Go runtime and process collectors
// and sxgw_build_info{version,goversion} set to 1.
func NewRegistry(version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sxgw_build_info",
		Help: "A metric with a constant value of 1, labelled with the version of sxgw and of Go that built it.",
		ConstLabels: prometheus.Labels{
			"version":   version,
			"goversion": runtime.Version(),
		},
	})
	build.Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build,
	)
	return reg
}
