// Package metrics writes CloudWatch metrics in the embedded metric format (EMF): one
// JSON line per value on standard output, which Lambda sends to CloudWatch Logs, where
// the metric is extracted with no API call from the function.
//
// Catalog is the single source of truth for what the code emits: each metric's name,
// unit and dimension keys. The template's alarms and dashboard are tested against it
// (internal/contract), so a metric graphed or alarmed on is one a function can write.
package metrics

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"time"
)

// Name is a metric's name in CloudWatch.
type Name string

// Unit is a CloudWatch unit.
type Unit string

// The units the catalog uses; None for a name outside it.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	None         Unit = "None"
)

// The metrics the functions emit; Catalog gives each one's unit and dimension keys.
const (
	Transfers             Name = "Transfers"             // Count; dims Outcome (COMPLETED|FAILED|HELD|RELEASED|NEEDS_REVIEW), Mode (immediate|hold)
	SagaDuration          Name = "SagaDuration"          // Milliseconds; dims Outcome
	IdempotentReplays     Name = "IdempotentReplays"     // Count; dims Route
	BreakerTransitions    Name = "BreakerTransitions"    // Count; dims State (OPEN|HALF_OPEN|CLOSED)
	RateLimited           Name = "RateLimited"           // Count; dims Class
	ReviewCasesOpened     Name = "ReviewCasesOpened"     // Count; no dims
	ReviewCasesResolved   Name = "ReviewCasesResolved"   // Count; dims Action (retry|complete|reverse)
	OpenReviewCases       Name = "OpenReviewCases"       // Count (a gauge, emitted once a minute by the hold sweeper); no dims
	EventConsumerFailures Name = "EventConsumerFailures" // Count; dims Consumer (publishevents|notify|earnrewards|recordreview)
)

// Spec is one metric of the catalog: its unit and the exact dimension keys it is
// emitted with (in this order).
type Spec struct {
	Name       Name
	Unit       Unit
	Dimensions []string
}

// Catalog lists every metric the code emits, one entry per Name above, in that order.
var Catalog = []Spec{
	{Transfers, Count, []string{"Outcome", "Mode"}},
	{SagaDuration, Milliseconds, []string{"Outcome"}},
	{IdempotentReplays, Count, []string{"Route"}},
	{BreakerTransitions, Count, []string{"State"}},
	{RateLimited, Count, []string{"Class"}},
	{ReviewCasesOpened, Count, []string{}},
	{ReviewCasesResolved, Count, []string{"Action"}},
	{OpenReviewCases, Count, []string{}},
	{EventConsumerFailures, Count, []string{"Consumer"}},
}

// Lookup returns the catalog's entry for name.
func Lookup(name Name) (Spec, bool) {
	for _, s := range Catalog {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Dim is one dimension (or, passed as a property, one extra string field).
type Dim struct{ Key, Value string }

// D makes a Dim.
func D(key, value string) Dim { return Dim{Key: key, Value: value} }

// Limits of the EMF specification and of CloudWatch's PutMetricData, which EMF
// extraction applies.
const (
	dimensionsMax     = 30   // keys in one dimension set
	dimensionKeyMax   = 255  // characters of a dimension name
	dimensionValueMax = 1024 // characters of a dimension value
	namespaceMax      = 255
	metadataKey       = "_aws" // the EMF metadata member; nothing else may use the name
	placeholderValue  = "unknown"
)

// Emitter writes one EMF JSON line per Put to Out. A nil *Emitter does nothing (so
// tests and functions without metrics need no guard).
type Emitter struct {
	Namespace string
	Out       io.Writer
	Now       func() time.Time // nil: time.Now

	mu sync.Mutex // one Write per line, one line at a time
}

// New returns an emitter writing to os.Stdout (Lambda sends stdout to CloudWatch Logs,
// which extracts EMF metrics with no API call). Namespace "" → nil emitter.
func New(namespace string) *Emitter {
	if namespace == "" {
		return nil
	}
	return &Emitter{Namespace: namespace, Out: os.Stdout}
}

// Put writes one metric value with its dimensions, plus optional string properties
// (e.g. transfer_id for correlation) as extra top-level fields. Safe for concurrent use
// (one Write per line, guarded by a mutex). Unit comes from Catalog (unknown name: "None").
//
// Put never fails the caller: a metric is worth less than the work it measures. What
// CloudWatch would refuse is mended or left out instead: a dimension value that is empty
// becomes "unknown", and one with characters CloudWatch refuses (non-ASCII, control
// characters) has them replaced by '?' and is cut to 1024 characters, so the dimension
// set an alarm matches stays whole; a dimension whose key is not a valid name, repeats
// an earlier key or is beyond the 30th is dropped; a property whose key is empty, "_aws",
// the metric's name or a dimension's key is dropped (it would overwrite that member); a
// value that is not a finite number writes nothing.
func (e *Emitter) Put(name Name, value float64, dims []Dim, props ...Dim) {
	if e == nil || e.Out == nil || !validNamespace(e.Namespace) || !validKey(string(name)) ||
		math.IsNaN(value) || math.IsInf(value, 0) {
		return
	}
	line := e.line(name, value, dims, props)
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.Out.Write(line)
}

// line renders one EMF document, members in a fixed order: _aws, the dimensions, the
// metric, the properties.
func (e *Emitter) line(name Name, value float64, dims []Dim, props []Dim) []byte {
	unit := None
	if spec, ok := Lookup(name); ok {
		unit = spec.Unit
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}

	taken := map[string]bool{metadataKey: true, string(name): true}
	kept := make([]Dim, 0, len(dims))
	for _, d := range dims {
		if len(kept) == dimensionsMax || !validKey(d.Key) || taken[d.Key] {
			continue
		}
		taken[d.Key] = true
		kept = append(kept, Dim{Key: d.Key, Value: dimensionValue(d.Value)})
	}

	b := make([]byte, 0, 256)
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, now().UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":`...)
	b = appendString(b, e.Namespace)
	b = append(b, `,"Dimensions":[[`...)
	for i, d := range kept {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, d.Key)
	}
	b = append(b, `]],"Metrics":[{"Name":`...)
	b = appendString(b, string(name))
	b = append(b, `,"Unit":`...)
	b = appendString(b, string(unit))
	b = append(b, `}]}]}`...)
	for _, d := range kept {
		b = appendMember(b, d.Key, d.Value)
	}
	b = append(b, ',')
	b = appendString(b, string(name))
	b = append(b, ':')
	b = strconv.AppendFloat(b, value, 'g', -1, 64)
	for _, p := range props {
		if p.Key == "" || taken[p.Key] {
			continue
		}
		taken[p.Key] = true
		b = appendMember(b, p.Key, p.Value)
	}
	return append(b, '}', '\n')
}

func appendMember(b []byte, key, value string) []byte {
	b = append(b, ',')
	b = appendString(b, key)
	b = append(b, ':')
	return appendString(b, value)
}

// appendString appends s as a JSON string (encoding/json's escaping; invalid UTF-8
// becomes U+FFFD).
func appendString(b []byte, s string) []byte {
	quoted, _ := json.Marshal(s) // a string always marshals
	return append(b, quoted...)
}

// validKey: a CloudWatch dimension name (also the rule for metric names here): 1 to 255
// printable ASCII characters, at least one not a space, not starting with ':', and not
// the EMF metadata member.
func validKey(k string) bool {
	if k == "" || len(k) > dimensionKeyMax || k[0] == ':' || k == metadataKey {
		return false
	}
	blank := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < 0x20 || c > 0x7e {
			return false
		}
		if c != ' ' {
			blank = false
		}
	}
	return !blank
}

func validNamespace(ns string) bool {
	if ns == "" || len(ns) > namespaceMax {
		return false
	}
	for i := 0; i < len(ns); i++ {
		if ns[i] < 0x20 || ns[i] > 0x7e {
			return false
		}
	}
	return true
}

// dimensionValue mends a value CloudWatch would refuse: printable ASCII only ('?' for
// anything else), at most 1024 characters, at least one that is not a space.
func dimensionValue(v string) string {
	out := make([]byte, 0, len(v))
	blank := true
	for _, r := range v {
		if len(out) == dimensionValueMax {
			break
		}
		c := byte('?')
		if r >= 0x20 && r <= 0x7e {
			c = byte(r)
		}
		if c != ' ' {
			blank = false
		}
		out = append(out, c)
	}
	if blank {
		return placeholderValue
	}
	return string(out)
}
