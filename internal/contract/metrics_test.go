package contract

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/serverless-wallet/wallet/internal/deploy"
	"github.com/serverless-wallet/wallet/internal/metrics"
)

// The alarms and the dashboard watch only metrics that exist: the stack's own namespace
// holds exactly what internal/metrics emits (metrics.Catalog, names and dimension keys),
// and AWS namespaces are limited to the services the stack runs on, each with the
// metrics and the dimension keys used here. A misspelt metric or dimension key would
// otherwise deploy and show an empty graph, or an alarm that never fires.

const (
	alarmType     = "AWS::CloudWatch::Alarm"
	dashboardType = "AWS::CloudWatch::Dashboard"
	// stackName stands for ${AWS::StackName} when the template's !Sub strings are read.
	stackName = "STACK"
)

// customNamespace is the template's !Sub "Wallet/${AWS::StackName}" as read here.
var customNamespace = "Wallet/" + stackName

// awsMetrics: the AWS namespaces alarms and widgets may use, with the metrics and the
// exact dimension keys this stack's graphs and alarms use there.
var awsMetrics = map[string]struct {
	names      []string
	dimensions []string
}{
	"AWS/ApiGateway": {[]string{"Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"}, []string{"ApiName", "Stage"}},
	"AWS/Lambda":     {[]string{"Errors", "Throttles", "Invocations", "Duration", "ConcurrentExecutions"}, []string{"FunctionName"}},
	"AWS/SQS": {[]string{"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
		"NumberOfMessagesSent", "NumberOfMessagesReceived"}, []string{"QueueName"}},
	"AWS/DynamoDB": {[]string{"ReadThrottleEvents", "WriteThrottleEvents"}, []string{"TableName"}},
	"AWS/States": {[]string{"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut",
		"ExecutionTime"}, []string{"StateMachineArn"}},
}

// metricRef is one metric an alarm or a dashboard widget names.
type metricRef struct {
	where      string
	namespace  string
	name       string
	dimensions []string // keys only
}

// checkMetric says what is wrong with ref, or "".
func checkMetric(ref metricRef) string {
	keys := slices.Sorted(slices.Values(ref.dimensions))
	if ref.namespace == customNamespace {
		spec, ok := metrics.Lookup(metrics.Name(ref.name))
		if !ok {
			return fmt.Sprintf("%s: %q is not in metrics.Catalog", ref.where, ref.name)
		}
		if want := slices.Sorted(slices.Values(spec.Dimensions)); !slices.Equal(keys, want) {
			return fmt.Sprintf("%s: %s has dimensions %v; the code emits it with %v", ref.where, ref.name, keys, want)
		}
		return ""
	}
	allowed, ok := awsMetrics[ref.namespace]
	if !ok {
		return fmt.Sprintf("%s: namespace %q is neither %s nor an allowed AWS namespace", ref.where, ref.namespace, customNamespace)
	}
	if !slices.Contains(allowed.names, ref.name) {
		return fmt.Sprintf("%s: %s is not one of the %s metrics used here %v", ref.where, ref.name, ref.namespace, allowed.names)
	}
	if want := slices.Sorted(slices.Values(allowed.dimensions)); !slices.Equal(keys, want) {
		return fmt.Sprintf("%s: %s %s has dimensions %v; want %v", ref.where, ref.namespace, ref.name, keys, want)
	}
	return ""
}

var subVariable = regexp.MustCompile(`\$\{(!?)([^}]*)\}`)

// substitute reads a !Sub string as deployed, with ${AWS::StackName} as STACK and any
// other variable as <name>; ${!x} is the literal ${x}.
func substitute(s string) string {
	return subVariable.ReplaceAllStringFunc(s, func(v string) string {
		m := subVariable.FindStringSubmatch(v)
		switch {
		case m[1] == "!":
			return "${" + m[2] + "}"
		case m[2] == "AWS::StackName":
			return stackName
		default:
			return "<" + m[2] + ">"
		}
	})
}

// scalar reads a template value that should be a string: a plain string, a !Sub (short
// or Fn::Sub, with or without its variable map) or, for anything else (!Ref, !GetAtt),
// a placeholder naming the function.
func scalar(n *yaml.Node) string {
	switch {
	case n == nil:
		return ""
	case n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Fn::Sub":
		return scalar(&yaml.Node{Kind: n.Content[1].Kind, Tag: "!Sub", Value: n.Content[1].Value, Content: n.Content[1].Content})
	case n.Tag == "!Sub" && n.Kind == yaml.ScalarNode:
		return substitute(n.Value)
	case n.Tag == "!Sub" && n.Kind == yaml.SequenceNode && len(n.Content) > 0:
		return substitute(n.Content[0].Value)
	case n.Kind == yaml.ScalarNode && (n.Tag == "" || strings.HasPrefix(n.Tag, "!!")):
		return n.Value
	default:
		return "<" + n.Tag + ">"
	}
}

// resourcesOfType lists the template's resources of one type, by logical id.
func resourcesOfType(root *yaml.Node, typ string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	pairs(deploy.MapValue(root, "Resources"), func(id string, res *yaml.Node) {
		if t := deploy.MapValue(res, "Type"); t != nil && t.Value == typ {
			out[id] = res
		}
	})
	return out
}

// dimensionKeys reads an alarm's Dimensions list ([{Name, Value}]).
func dimensionKeys(n *yaml.Node) []string {
	keys := []string{}
	if n == nil {
		return keys
	}
	for _, d := range n.Content {
		keys = append(keys, scalar(deploy.MapValue(d, "Name")))
	}
	return keys
}

// alarmMetrics lists the metrics one alarm watches: its single metric, or each
// MetricStat of its metric math.
func alarmMetrics(id string, alarm *yaml.Node) ([]metricRef, error) {
	props := deploy.MapValue(alarm, "Properties")
	single, math := deploy.MapValue(props, "MetricName"), deploy.MapValue(props, "Metrics")
	switch {
	case single != nil && math == nil:
		return []metricRef{{where: id, namespace: scalar(deploy.MapValue(props, "Namespace")), name: scalar(single),
			dimensions: dimensionKeys(deploy.MapValue(props, "Dimensions"))}}, nil
	case single == nil && math != nil:
		var refs []metricRef
		for _, q := range math.Content {
			stat := deploy.MapValue(deploy.MapValue(q, "MetricStat"), "Metric")
			if stat == nil {
				if deploy.MapValue(q, "Expression") == nil {
					return nil, fmt.Errorf("%s: query %s has neither MetricStat nor Expression", id, scalar(deploy.MapValue(q, "Id")))
				}
				continue
			}
			refs = append(refs, metricRef{where: id + "/" + scalar(deploy.MapValue(q, "Id")), namespace: scalar(deploy.MapValue(stat, "Namespace")),
				name: scalar(deploy.MapValue(stat, "MetricName")), dimensions: dimensionKeys(deploy.MapValue(stat, "Dimensions"))})
		}
		return refs, nil
	default:
		return nil, fmt.Errorf("%s: an alarm has either MetricName or Metrics", id)
	}
}

var (
	searchCall   = regexp.MustCompile(`SEARCH\(\s*'([^']*)'`)
	searchSchema = regexp.MustCompile(`^\s*\{([^}]*)\}`)
	searchName   = regexp.MustCompile(`MetricName\s*=\s*"([^"]+)"`)
)

// parseSearch reads the metric a dashboard SEARCH expression graphs: the schema
// ({namespace, dimension keys...}) and the exact MetricName="..." term. An expression
// without SEARCH (metric math) names no metric: ok is false.
func parseSearch(expr string) (ref metricRef, ok bool, err error) {
	call := searchCall.FindStringSubmatch(expr)
	if call == nil {
		return metricRef{}, false, nil
	}
	schema := searchSchema.FindStringSubmatch(call[1])
	name := searchName.FindStringSubmatch(call[1])
	if schema == nil || name == nil {
		return metricRef{}, false, fmt.Errorf("%s: a SEARCH here names its schema {namespace,keys} and MetricName=\"...\"", expr)
	}
	parts := strings.Split(schema[1], ",")
	for i := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(parts[i]), `"`)
	}
	return metricRef{namespace: parts[0], name: name[1], dimensions: parts[1:]}, true, nil
}

// dashboard is the part of a dashboard body read here.
type dashboard struct {
	Widgets []struct {
		Type       string
		Properties struct {
			Title   string
			Metrics [][]any
			Alarms  []string
		}
	}
}

// dashboardMetrics lists the metrics of a dashboard's widgets, and the alarms its alarm
// widgets show (by logical id).
func dashboardMetrics(id string, res *yaml.Node) (refs []metricRef, alarms []string, err error) {
	body := scalar(deploy.MapValue(deploy.MapValue(res, "Properties"), "DashboardBody"))
	var d dashboard
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return nil, nil, fmt.Errorf("%s: DashboardBody is not JSON: %w", id, err)
	}
	for _, w := range d.Widgets {
		where := fmt.Sprintf("%s widget %q", id, w.Properties.Title)
		for _, a := range w.Properties.Alarms {
			alarm, isArn := strings.CutSuffix(strings.TrimPrefix(a, "<"), ".Arn>")
			if !isArn {
				return nil, nil, fmt.Errorf("%s: alarm %q is not ${<alarm>.Arn}", where, a)
			}
			alarms = append(alarms, alarm)
		}
		for _, line := range w.Properties.Metrics {
			ref, ok, err := widgetMetric(line)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", where, err)
			}
			if ok {
				ref.where = where
				refs = append(refs, ref)
			}
		}
	}
	return refs, alarms, nil
}

// widgetMetric reads one line of a metric widget: [namespace, name, key, value, ...,
// {options}] or [{"expression": ...}].
func widgetMetric(line []any) (metricRef, bool, error) {
	if len(line) == 1 {
		if opts, isObject := line[0].(map[string]any); isObject {
			expr, _ := opts["expression"].(string)
			return parseSearch(expr)
		}
	}
	var fields []string
	for i, f := range line {
		s, isString := f.(string)
		if !isString {
			if _, isObject := f.(map[string]any); isObject && i == len(line)-1 {
				break
			}
			return metricRef{}, false, fmt.Errorf("line %v: only strings, then one options object", line)
		}
		if s == "." || s == "..." {
			return metricRef{}, false, fmt.Errorf("line %v: write each line in full (no %q shorthand), so it can be checked", line, s)
		}
		fields = append(fields, s)
	}
	if len(fields) < 2 || len(fields)%2 != 0 {
		return metricRef{}, false, fmt.Errorf("line %v: want namespace, name and key/value pairs", line)
	}
	ref := metricRef{namespace: fields[0], name: fields[1], dimensions: []string{}}
	for i := 2; i < len(fields); i += 2 {
		ref.dimensions = append(ref.dimensions, fields[i])
	}
	return ref, true, nil
}

func TestAlarmsWatchMetricsTheCodeEmits(t *testing.T) {
	root := loadYAML(t, templatePath)
	alarms := resourcesOfType(root, alarmType)
	require.NotEmpty(t, alarms)
	for _, id := range slices.Sorted(maps.Keys(alarms)) {
		refs, err := alarmMetrics(id, alarms[id])
		require.NoError(t, err)
		require.NotEmpty(t, refs, id)
		for _, ref := range refs {
			assert.Empty(t, checkMetric(ref))
		}
	}
}

func TestDashboardGraphsMetricsTheCodeEmits(t *testing.T) {
	root := loadYAML(t, templatePath)
	dashboards := resourcesOfType(root, dashboardType)
	require.Len(t, dashboards, 1, "one operations dashboard")
	graphed := map[string]bool{}
	for id, res := range dashboards {
		refs, shown, err := dashboardMetrics(id, res)
		require.NoError(t, err)
		require.NotEmpty(t, refs)
		for _, ref := range refs {
			assert.Empty(t, checkMetric(ref))
			if ref.namespace == customNamespace {
				graphed[ref.name] = true
			}
		}
		// The alarm widget shows every alarm of the template, and only those.
		alarms := resourcesOfType(root, alarmType)
		for _, a := range shown {
			assert.Contains(t, alarms, a, "%s shows %s, which is not an alarm of the template", id, a)
		}
		for a := range alarms {
			assert.Contains(t, shown, a, "%s does not show alarm %s", id, a)
		}
	}
	for _, spec := range metrics.Catalog {
		assert.True(t, graphed[string(spec.Name)], "metric %s is emitted but on no dashboard widget", spec.Name)
	}
}

// Every alarm notifies the alarm topic when it fires and when it clears.
func TestAlarmsNotifyTheAlarmTopic(t *testing.T) {
	root := loadYAML(t, templatePath)
	for id, alarm := range resourcesOfType(root, alarmType) {
		props := deploy.MapValue(alarm, "Properties")
		for _, key := range []string{"AlarmActions", "OKActions"} {
			actions := deploy.MapValue(props, key)
			if !assert.NotNil(t, actions, "%s has no %s", id, key) {
				continue
			}
			var targets []string
			for _, a := range actions.Content {
				targets = append(targets, a.Tag+" "+a.Value)
			}
			assert.Equal(t, []string{"!Ref AlarmTopic"}, targets, "%s %s", id, key)
		}
	}
}

func TestParseSearch(t *testing.T) {
	tests := map[string]struct {
		expr    string
		want    metricRef
		ok      bool
		wantErr bool
	}{
		"quoted namespace, two keys": {
			expr: `SEARCH('{"Wallet/STACK",Outcome,Mode} MetricName="Transfers"', 'Sum', 60)`,
			want: metricRef{namespace: "Wallet/STACK", name: "Transfers", dimensions: []string{"Outcome", "Mode"}}, ok: true,
		},
		"AWS namespace and a search term": {
			expr: `SEARCH(' {AWS/Lambda, FunctionName} MetricName="Errors" STACK', 'Sum', 60)`,
			want: metricRef{namespace: "AWS/Lambda", name: "Errors", dimensions: []string{"FunctionName"}}, ok: true,
		},
		"metric math names no metric": {expr: "m1 / m2 * 100"},
		"no schema":                   {expr: `SEARCH('MetricName="Errors"', 'Sum')`, wantErr: true},
		"no exact metric name":        {expr: `SEARCH('{AWS/Lambda,FunctionName} Errors', 'Sum')`, wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok, err := parseSearch(tt.expr)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

// The checks refuse what a typo would produce.
func TestCheckMetricRefuses(t *testing.T) {
	tests := map[string]metricRef{
		"misspelt custom metric":   {namespace: customNamespace, name: "Transfer", dimensions: []string{"Outcome", "Mode"}},
		"missing dimension key":    {namespace: customNamespace, name: "Transfers", dimensions: []string{"Outcome"}},
		"wrong dimension key":      {namespace: customNamespace, name: "BreakerTransitions", dimensions: []string{"Status"}},
		"extra dimension key":      {namespace: customNamespace, name: "ReviewCasesOpened", dimensions: []string{"Action"}},
		"unknown namespace":        {namespace: "Wallet/other", name: "Transfers", dimensions: []string{"Outcome", "Mode"}},
		"misspelt AWS metric":      {namespace: "AWS/ApiGateway", name: "5xxError", dimensions: []string{"ApiName", "Stage"}},
		"AWS metric missing a key": {namespace: "AWS/ApiGateway", name: "5XXError", dimensions: []string{"ApiName"}},
	}
	for name, ref := range tests {
		t.Run(name, func(t *testing.T) {
			ref.where = name
			assert.NotEmpty(t, checkMetric(ref))
		})
	}
	assert.Empty(t, checkMetric(metricRef{namespace: customNamespace, name: "Transfers", dimensions: []string{"Mode", "Outcome"}}),
		"dimension order does not matter")
}
