package metrics

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// JobStates counts jobs by state (running, completed, failed, canceled,
// terminated, timed_out, continued_as_new).
type JobStates func(ctx context.Context) (map[string]int64, error)

// jobStates are the states reported, 0 when no job is in them, so that a
// dashboard shows a flat line rather than no data.
var jobStates = []string{"running", "completed", "failed", "canceled", "terminated", "timed_out", "continued_as_new"}

// jobsTimeout bounds the visibility query of one scrape.
const jobsTimeout = 5 * time.Second

type jobsCollector struct {
	count        JobStates
	jobs, errors *prometheus.Desc
	failures     prometheus.Counter
}

// RegisterJobs exports reel_jobs{state}, asked of count at every scrape,
// and reel_jobs_query_errors_total, the scrapes where count failed (the
// gauge is then absent from that scrape).
func (m *Metrics) RegisterJobs(count JobStates) {
	m.reg.MustRegister(&jobsCollector{
		count: count,
		jobs:  prometheus.NewDesc("reel_jobs", "Encode jobs by state, from the cluster's visibility store.", []string{"state"}, nil),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reel_jobs_query_errors_total", Help: "Scrapes whose count of jobs by state failed.",
		}),
	})
}

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	c.failures.Describe(ch)
}

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobsTimeout)
	defer cancel()
	n, err := c.count(ctx)
	if err != nil {
		c.failures.Inc()
	} else {
		for _, s := range jobStates {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n[s]), s)
		}
	}
	c.failures.Collect(ch)
}

// TemporalJobStates counts the EncodeWorkflow executions of c's namespace
// by status with one visibility query (a count grouped by
// ExecutionStatus), whatever the number of jobs.
func TemporalJobStates(c client.Client, namespace string) JobStates {
	return func(ctx context.Context) (map[string]int64, error) {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: namespace,
			Query:     "WorkflowType = 'EncodeWorkflow' GROUP BY ExecutionStatus",
		})
		if err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out := map[string]int64{}
		dc := converter.GetDefaultDataConverter()
		for _, g := range resp.GetGroups() {
			vals := g.GetGroupValues()
			if len(vals) != 1 {
				return nil, fmt.Errorf("count jobs: a group with %d values, want 1", len(vals))
			}
			var status string
			if err := dc.FromPayload(vals[0], &status); err != nil {
				return nil, fmt.Errorf("count jobs: %w", err)
			}
			out[stateName(status)] += g.GetCount()
		}
		return out, nil
	}
}

// stateName turns a visibility ExecutionStatus ("Running", "TimedOut",
// "ContinuedAsNew") into a label value ("running", "timed_out", ...).
func stateName(status string) string {
	var b strings.Builder
	for i, r := range status {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
