package deploy

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// simpleStatistics are the statistics an alarm's Statistic takes; any other Stat (p95,
// tm99, …) is an ExtendedStatistic.
var simpleStatistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

// FlattenMetricMathAlarms rewrites every AWS::CloudWatch::Alarm that uses metric math
// (Properties.Metrics) into a single-metric alarm on the first metric it reads, keeping
// its name, threshold, comparison and actions, so that everything that refers to the
// alarm still deploys. For emulators only: the local engine creates no metric-math
// alarm (localstack/MINISTACK_GAPS.md, 19) and evaluates no alarm at all (10), so the
// rewritten alarm is a stand-in that exists and never fires. It returns the logical
// ids it rewrote, in template order.
func (t *Template) FlattenMetricMathAlarms() ([]string, error) {
	resources := MapValue(t.root.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, nil
	}
	var rewritten []string
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if typ := MapValue(res, "Type"); typ == nil || typ.Value != "AWS::CloudWatch::Alarm" {
			continue
		}
		props := MapValue(res, "Properties")
		queries := MapValue(props, "Metrics")
		if queries == nil {
			continue
		}
		if err := flattenAlarm(props, queries); err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		rewritten = append(rewritten, id)
	}
	return rewritten, nil
}

// flattenAlarm replaces props' Metrics by the Namespace, MetricName, Dimensions,
// statistic and Period of the first MetricStat among queries.
func flattenAlarm(props, queries *yaml.Node) error {
	var stat *yaml.Node
	for _, q := range queries.Content {
		if stat = MapValue(q, "MetricStat"); stat != nil {
			break
		}
	}
	metric := MapValue(stat, "Metric")
	if metric == nil {
		return fmt.Errorf("metric math without a MetricStat to stand in for it")
	}
	statistic := MapValue(stat, "Stat")
	if statistic == nil {
		return fmt.Errorf("its first MetricStat has no Stat")
	}
	statKey := "ExtendedStatistic"
	if slices.Contains(simpleStatistics, statistic.Value) {
		statKey = "Statistic"
	}

	var kept []*yaml.Node
	for i := 0; i+1 < len(props.Content); i += 2 {
		if props.Content[i].Value != "Metrics" {
			kept = append(kept, props.Content[i], props.Content[i+1])
		}
	}
	add := func(key string, value *yaml.Node) {
		if value != nil {
			kept = append(kept, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value)
		}
	}
	add("Namespace", MapValue(metric, "Namespace"))
	add("MetricName", MapValue(metric, "MetricName"))
	add("Dimensions", MapValue(metric, "Dimensions"))
	add(statKey, statistic)
	add("Period", MapValue(stat, "Period"))
	props.Content = kept
	return nil
}
