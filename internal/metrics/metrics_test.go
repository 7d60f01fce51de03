package metrics_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/metrics"
)

var fixed = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func emitter(out *bytes.Buffer) *metrics.Emitter {
	return &metrics.Emitter{Namespace: "Wallet/test", Out: out, Now: func() time.Time { return fixed }}
}

// directive is the one CloudWatchMetrics entry of a line.
type directive struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []struct{ Name, Unit string }
}

// decode reads one line as an EMF document: its metadata, its one directive and its
// other members.
func decode(t *testing.T, line []byte) (ts int64, d directive, members map[string]any) {
	t.Helper()
	require.True(t, bytes.HasSuffix(line, []byte("\n")), "a line ends with a newline")
	require.Equal(t, 1, bytes.Count(line, []byte("\n")), "one line: %q", line)
	require.NoError(t, json.Unmarshal(line, &members), "%s", line)
	var meta struct {
		Timestamp         *int64
		CloudWatchMetrics []directive
	}
	raw, err := json.Marshal(members["_aws"])
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&meta), "_aws has only Timestamp and CloudWatchMetrics")
	require.NotNil(t, meta.Timestamp)
	require.Len(t, meta.CloudWatchMetrics, 1)
	delete(members, "_aws")
	return *meta.Timestamp, meta.CloudWatchMetrics[0], members
}

func TestPutShape(t *testing.T) {
	tests := map[string]struct {
		name     metrics.Name
		value    float64
		dims     []metrics.Dim
		props    []metrics.Dim
		wantUnit string
		wantDims []string
		want     map[string]any // every member besides _aws
	}{
		"transfer with two dimensions and a property": {
			name: metrics.Transfers, value: 1,
			dims:     []metrics.Dim{metrics.D("Outcome", "COMPLETED"), metrics.D("Mode", "immediate")},
			props:    []metrics.Dim{metrics.D("transfer_id", "t-1")},
			wantUnit: "Count", wantDims: []string{"Outcome", "Mode"},
			want: map[string]any{"Outcome": "COMPLETED", "Mode": "immediate", "Transfers": 1.0, "transfer_id": "t-1"},
		},
		"duration in milliseconds": {
			name: metrics.SagaDuration, value: 1234.5,
			dims:     []metrics.Dim{metrics.D("Outcome", "FAILED")},
			wantUnit: "Milliseconds", wantDims: []string{"Outcome"},
			want: map[string]any{"Outcome": "FAILED", "SagaDuration": 1234.5},
		},
		"no dimensions: one empty dimension set": {
			name: metrics.OpenReviewCases, value: 3,
			wantUnit: "Count", wantDims: []string{},
			want: map[string]any{"OpenReviewCases": 3.0},
		},
		"unknown name: unit None": {
			name: "Mystery", value: 2,
			dims:     []metrics.Dim{metrics.D("Route", "x")},
			wantUnit: "None", wantDims: []string{"Route"},
			want: map[string]any{"Route": "x", "Mystery": 2.0},
		},
		"a property cannot overwrite _aws, the metric or a dimension": {
			name: metrics.RateLimited, value: 1,
			dims: []metrics.Dim{metrics.D("Class", "money")},
			props: []metrics.Dim{metrics.D("_aws", "x"), metrics.D("RateLimited", "9"), metrics.D("Class", "read"),
				metrics.D("", "empty"), metrics.D("caller", "u-1"), metrics.D("caller", "u-2")},
			wantUnit: "Count", wantDims: []string{"Class"},
			want: map[string]any{"Class": "money", "RateLimited": 1.0, "caller": "u-1"},
		},
		"dimension values CloudWatch refuses are mended": {
			name: metrics.IdempotentReplays, value: 1,
			dims:     []metrics.Dim{metrics.D("Route", "")},
			wantUnit: "Count", wantDims: []string{"Route"},
			want: map[string]any{"Route": "unknown", "IdempotentReplays": 1.0},
		},
		"non-ASCII and control characters become ?": {
			name: metrics.RateLimited, value: 1,
			dims:     []metrics.Dim{metrics.D("Class", "é\n\"x")},
			wantUnit: "Count", wantDims: []string{"Class"},
			want: map[string]any{"Class": "??\"x", "RateLimited": 1.0},
		},
		"invalid and repeated dimension keys are dropped": {
			name: metrics.BreakerTransitions, value: 1,
			dims: []metrics.Dim{metrics.D("State", "OPEN"), metrics.D("State", "CLOSED"), metrics.D("_aws", "x"),
				metrics.D(":colon", "x"), metrics.D(" ", "x"), metrics.D("BreakerTransitions", "x"), metrics.D("ünï", "x")},
			wantUnit: "Count", wantDims: []string{"State"},
			want: map[string]any{"State": "OPEN", "BreakerTransitions": 1.0},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			emitter(&out).Put(tt.name, tt.value, tt.dims, tt.props...)
			ts, d, members := decode(t, out.Bytes())
			assert.Equal(t, fixed.UnixMilli(), ts)
			assert.Equal(t, "Wallet/test", d.Namespace)
			assert.Equal(t, [][]string{tt.wantDims}, d.Dimensions)
			require.Len(t, d.Metrics, 1)
			assert.Equal(t, string(tt.name), d.Metrics[0].Name)
			assert.Equal(t, tt.wantUnit, d.Metrics[0].Unit)
			assert.Equal(t, tt.want, members)
		})
	}
}

// The line is exactly the documented shape, members in order (a reader skimming logs
// sees the metadata first).
func TestPutLine(t *testing.T) {
	var out bytes.Buffer
	emitter(&out).Put(metrics.Transfers, 1,
		[]metrics.Dim{metrics.D("Outcome", "COMPLETED"), metrics.D("Mode", "immediate")}, metrics.D("transfer_id", "t-1"))
	want := fmt.Sprintf(`{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"Wallet/test",`+
		`"Dimensions":[["Outcome","Mode"]],"Metrics":[{"Name":"Transfers","Unit":"Count"}]}]},`+
		`"Outcome":"COMPLETED","Mode":"immediate","Transfers":1,"transfer_id":"t-1"}`+"\n", fixed.UnixMilli())
	assert.Equal(t, want, out.String())
}

func TestAtMost30Dimensions(t *testing.T) {
	var dims []metrics.Dim
	for i := range 40 {
		dims = append(dims, metrics.D(fmt.Sprintf("K%02d", i), "v"))
	}
	var out bytes.Buffer
	emitter(&out).Put("Wide", 1, dims)
	_, d, members := decode(t, out.Bytes())
	require.Len(t, d.Dimensions, 1)
	assert.Len(t, d.Dimensions[0], 30)
	assert.Equal(t, "K29", d.Dimensions[0][29])
	assert.NotContains(t, members, "K30")
}

func TestLongDimensionValueIsCut(t *testing.T) {
	var out bytes.Buffer
	emitter(&out).Put(metrics.IdempotentReplays, 1, []metrics.Dim{metrics.D("Route", strings.Repeat("a", 2000))})
	_, _, members := decode(t, out.Bytes())
	assert.Len(t, members["Route"], 1024)
}

func TestWritesNothing(t *testing.T) {
	tests := map[string]struct {
		e     func(*bytes.Buffer) *metrics.Emitter
		name  metrics.Name
		value float64
	}{
		"NaN":          {e: emitter, name: metrics.Transfers, value: math.NaN()},
		"+Inf":         {e: emitter, name: metrics.Transfers, value: math.Inf(1)},
		"empty name":   {e: emitter, name: "", value: 1},
		"name _aws":    {e: emitter, name: "_aws", value: 1},
		"no namespace": {e: func(b *bytes.Buffer) *metrics.Emitter { return &metrics.Emitter{Out: b} }, name: metrics.Transfers, value: 1},
		"long namespace": {e: func(b *bytes.Buffer) *metrics.Emitter {
			return &metrics.Emitter{Namespace: strings.Repeat("n", 256), Out: b}
		}, name: metrics.Transfers, value: 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			tt.e(&out).Put(tt.name, tt.value, nil)
			assert.Empty(t, out.String())
		})
	}
}

func TestNilEmitter(t *testing.T) {
	assert.Nil(t, metrics.New(""))
	var e *metrics.Emitter
	assert.NotPanics(t, func() { e.Put(metrics.Transfers, 1, []metrics.Dim{metrics.D("Outcome", "FAILED")}) })
	assert.NotPanics(t, func() { (&metrics.Emitter{Namespace: "x"}).Put(metrics.Transfers, 1, nil) }, "no Out")
}

func TestNewWritesToStdout(t *testing.T) {
	e := metrics.New("Wallet/x")
	require.NotNil(t, e)
	assert.Equal(t, "Wallet/x", e.Namespace)
	assert.NotNil(t, e.Out)
	assert.Nil(t, e.Now)
}

// countingWriter records each Write as one chunk, so a line split over two writes or two
// lines in one write would show.
type countingWriter struct {
	mu     sync.Mutex
	writes [][]byte
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), nil
}

func TestConcurrentPuts(t *testing.T) {
	const goroutines, each = 16, 50
	var w countingWriter
	e := &metrics.Emitter{Namespace: "Wallet/test", Out: &w}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e.Put(metrics.Transfers, 1, []metrics.Dim{metrics.D("Outcome", "COMPLETED"), metrics.D("Mode", "hold")},
					metrics.D("transfer_id", fmt.Sprintf("t-%d-%d", g, i)))
			}
		}()
	}
	wg.Wait()
	require.Len(t, w.writes, goroutines*each)
	seen := map[string]bool{}
	for _, line := range w.writes {
		_, _, members := decode(t, line)
		id, _ := members["transfer_id"].(string)
		assert.False(t, seen[id], "transfer %s written twice", id)
		seen[id] = true
	}
	assert.Len(t, seen, goroutines*each)
}

// The catalog has one entry per name, in the order of the constants, with a known unit
// and dimension keys the emitter would keep.
func TestCatalog(t *testing.T) {
	names := []metrics.Name{metrics.Transfers, metrics.SagaDuration, metrics.IdempotentReplays,
		metrics.BreakerTransitions, metrics.RateLimited, metrics.ReviewCasesOpened, metrics.ReviewCasesResolved,
		metrics.OpenReviewCases, metrics.EventConsumerFailures}
	require.Len(t, metrics.Catalog, len(names))
	for i, spec := range metrics.Catalog {
		assert.Equal(t, names[i], spec.Name)
		assert.Contains(t, []metrics.Unit{metrics.Count, metrics.Milliseconds}, spec.Unit, spec.Name)
		assert.LessOrEqual(t, len(spec.Dimensions), 30)
		got, ok := metrics.Lookup(spec.Name)
		assert.True(t, ok)
		assert.Equal(t, spec, got)

		// Emitting with the catalog's keys keeps them all, in order.
		var dims []metrics.Dim
		for _, k := range spec.Dimensions {
			dims = append(dims, metrics.D(k, "v"))
		}
		var out bytes.Buffer
		emitter(&out).Put(spec.Name, 1, dims)
		_, d, _ := decode(t, out.Bytes())
		assert.Equal(t, [][]string{append([]string{}, spec.Dimensions...)}, d.Dimensions, spec.Name)
		assert.Equal(t, string(spec.Unit), d.Metrics[0].Unit)
	}
	_, ok := metrics.Lookup("Mystery")
	assert.False(t, ok)
}
