package metrics

import "github.com/prometheus/client_golang/prometheus"

// emitFunc reports one sample: the name is prefixed with the collector's, and labels
// come as name, value pairs.
type emitFunc func(name, help string, t prometheus.ValueType, v float64, labels ...string)

// funcCollector reads counters kept elsewhere at scrape time. It is an unchecked
// collector (Describe sends nothing): its series are whatever collect emits.
type funcCollector struct {
	prefix  string
	collect func(emit emitFunc)
}

func newFuncCollector(prefix string, collect func(emit emitFunc)) *funcCollector {
	return &funcCollector{prefix: prefix, collect: collect}
}

func (f *funcCollector) Describe(chan<- *prometheus.Desc) {}

func (f *funcCollector) Collect(ch chan<- prometheus.Metric) {
	f.collect(func(name, help string, t prometheus.ValueType, v float64, labels ...string) {
		var names, values []string
		for i := 0; i+1 < len(labels); i += 2 {
			names = append(names, labels[i])
			values = append(values, labels[i+1])
		}
		d := prometheus.NewDesc(f.prefix+"_"+name, help, names, nil)
		ch <- prometheus.MustNewConstMetric(d, t, v, values...)
	})
}
