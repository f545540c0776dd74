package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sample is one run of one client.
type sample struct {
	rate   float64 // messages per second
	cpu    float64 // client CPU µs per message
	allocs float64 // heap allocations per message
	bytes  float64 // heap bytes per message
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measure(c contender, cfg config) (sample, error) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0, t0 := cpuTime(), time.Now()
	err := c.run(context.Background(), cfg)
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	runtime.ReadMemStats(&m1)
	n := float64(cfg.n)
	return sample{
		rate:   n / elapsed.Seconds(),
		cpu:    float64(cpu.Microseconds()) / n,
		allocs: float64(m1.Mallocs-m0.Mallocs) / n,
		bytes:  float64(m1.TotalAlloc-m0.TotalAlloc) / n,
	}, err
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianOf(ss []sample, f func(sample) float64) float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	return median(xs)
}

// report prints the table: medians, and each client's rate as a ratio of
// the peers' in the same run.
func report(clients []contender, samples map[string][]sample, rtts map[string]float64) {
	peers := []string{"raw", "raw-bdat", "net-smtp", "go-smtp"}
	var cols []string
	for _, p := range peers {
		if _, ok := samples[p]; ok {
			cols = append(cols, p)
		}
	}
	fmt.Printf("\n| client | msg/s |")
	for _, p := range cols {
		fmt.Printf(" vs %s |", p)
	}
	fmt.Printf(" CPU µs/msg | allocs/msg | B/msg | round trips/msg |\n|---|---|")
	fmt.Print(strings.Repeat("---|", len(cols)))
	fmt.Println("---|---|---|---|")
	rate := map[string]float64{}
	for _, c := range clients {
		rate[c.name] = medianOf(samples[c.name], func(s sample) float64 { return s.rate })
	}
	for _, c := range clients {
		ss := samples[c.name]
		fmt.Printf("| %s | %.0f |", c.name, rate[c.name])
		for _, p := range cols {
			fmt.Printf(" %.2f |", rate[c.name]/rate[p])
		}
		fmt.Printf(" %.1f | %.1f | %.0f | %.2f |\n",
			medianOf(ss, func(s sample) float64 { return s.cpu }),
			medianOf(ss, func(s sample) float64 { return s.allocs }),
			medianOf(ss, func(s sample) float64 { return s.bytes }),
			rtts[c.name])
	}
	fmt.Print("\nper run, msg/s:")
	for _, c := range clients {
		var xs []string
		for _, s := range samples[c.name] {
			xs = append(xs, fmt.Sprintf("%.0f", s.rate))
		}
		fmt.Printf(" %s [%s]", c.name, strings.Join(xs, " "))
	}
	fmt.Println()
}
