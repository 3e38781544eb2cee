package watch

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the watch process's Prometheus metrics. A nil *Metrics
// records nothing.
type Metrics struct {
	Registry   *prometheus.Registry
	events     prometheus.Counter
	alerts     *prometheus.CounterVec
	lag        prometheus.Histogram
	processing prometheus.Histogram
	depth      *prometheus.GaugeVec
}

// NewMetrics registers the watch metrics in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kmsguard_watch_events_total", Help: "CloudTrail records processed.",
		}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kmsguard_watch_alerts_total", Help: "New alerts queued for notification, by rule.",
		}, []string{"rule"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kmsguard_watch_alert_lag_seconds",
			Help:    "Time from the event's eventTime to its alert being queued (includes CloudTrail's delivery delay).",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600},
		}),
		processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kmsguard_watch_alert_processing_seconds",
			Help:    "Time from receiving the message or file to its alert being queued.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kmsguard_watch_queue_depth", Help: "Approximate SQS queue depth (visible or in_flight messages).",
		}, []string{"state"}),
	}
	m.Registry.MustRegister(m.events, m.alerts, m.lag, m.processing, m.depth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) event() {
	if m != nil {
		m.events.Inc()
	}
}

func (m *Metrics) alert(rule string, lag, processing time.Duration) {
	if m == nil {
		return
	}
	m.alerts.WithLabelValues(rule).Inc()
	m.lag.Observe(max(lag, 0).Seconds())
	m.processing.Observe(max(processing, 0).Seconds())
}

// CounterFunc registers a counter read from fn at scrape time (for counts
// other packages keep, such as the dispatcher's and the SQS consumer's).
func (m *Metrics) CounterFunc(name, help string, labels prometheus.Labels, fn func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, fn))
}

// GaugeFunc registers a gauge read from fn at scrape time.
func (m *Metrics) GaugeFunc(name, help string, fn func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// PollDepth updates the queue-depth gauge from depth every interval until
// ctx ends (a scrape must not wait on an SQS call).
func (m *Metrics) PollDepth(ctx context.Context, interval time.Duration, log *slog.Logger, depth func(context.Context) (visible, inFlight int, err error)) {
	for {
		v, f, err := depth(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("queue depth", "error", err)
		} else if err == nil {
			m.depth.WithLabelValues("visible").Set(float64(v))
			m.depth.WithLabelValues("in_flight").Set(float64(f))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// Handler serves /metrics and /healthz.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
