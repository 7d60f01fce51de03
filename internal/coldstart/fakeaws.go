package coldstart

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FakeAWS answers the AWS calls the functions make at init and in their first invoke, on
// 127.0.0.1, so that no function needs the network and every one gets past its init:
// GetSecretValue returns a signing key (AWSCURRENT; AWSPREVIOUS is absent, as for a
// secret never rotated), every other JSON-protocol call (DynamoDB, Step Functions)
// answers {}, and query-protocol calls (SNS) an empty result. Answers are immediate, so
// a measurement counts the functions' own work, not a service's latency.
type FakeAWS struct {
	srv *http.Server
	ln  net.Listener

	mu    sync.Mutex
	calls map[string]int
}

// fakeAWSHeaderTimeout bounds how long a connection may take to send its headers.
const fakeAWSHeaderTimeout = 5 * time.Second

// fakeAWSBodyMax is the largest request body the fake reads.
const fakeAWSBodyMax = 1 << 20

// StartFakeAWS listens on a free port of 127.0.0.1.
func StartFakeAWS() (*FakeAWS, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &FakeAWS{ln: ln, calls: map[string]int{}}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: fakeAWSHeaderTimeout}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// URL is the endpoint to give the SDK (AWS_ENDPOINT_URL).
func (f *FakeAWS) URL() string { return "http://" + f.ln.Addr().String() }

// Close stops the server.
func (f *FakeAWS) Close() error {
	err := f.srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Calls returns how many calls of each operation the fake answered.
func (f *FakeAWS) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

const emptyJSON = "{}"

// benchSigningKey is the fake secret's value: 64 hex digits, as a rotation writes.
const benchSigningKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func (f *FakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, fakeAWSBodyMax))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	target := r.Header.Get("X-Amz-Target") // JSON protocols: "Service_Version.Operation"
	op := target
	if op == "" {
		op = queryAction(body)
	}
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
	switch {
	case target == "secretsmanager.GetSecretValue":
		answerSecret(w, body)
	case target != "":
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(emptyJSON))), 10)) // DynamoDB's clients check it
		_, _ = io.WriteString(w, emptyJSON)
	default:
		// awsQuery: <ActionResponse><ActionResult/></ActionResponse>; with no target, op
		// came from queryAction: letters only.
		w.Header().Set("Content-Type", "text/xml")
		_, _ = fmt.Fprintf(w, "<%[1]sResponse><%[1]sResult></%[1]sResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></%[1]sResponse>", op) // #nosec G705 -- op is letters only
	}
}

// actionName is what an awsQuery Action looks like (Publish, PublishBatch).
var actionName = regexp.MustCompile(`^[A-Za-z]{1,64}$`)

// queryAction returns the Action of an awsQuery form body, "Unknown" when there is none
// that looks like one.
func queryAction(body []byte) string {
	for _, kv := range strings.Split(string(body), "&") {
		if v, ok := strings.CutPrefix(kv, "Action="); ok && actionName.MatchString(v) {
			return v
		}
	}
	return "Unknown"
}

func answerSecret(w http.ResponseWriter, body []byte) {
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionStage string `json:"VersionStage"`
	}
	_ = json.Unmarshal(body, &in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if in.VersionStage != "" && in.VersionStage != "AWSCURRENT" {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "ResourceNotFoundException",
			"Message": "Secrets Manager can't find the specified secret version."})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretID, "Name": "bench-signing-key",
		"SecretString": benchSigningKey, "VersionId": "bench-key-1", "VersionStages": []string{"AWSCURRENT"}})
}
