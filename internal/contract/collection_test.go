package contract

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/serverless-wallet/wallet/internal/deploy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const collectionPath = "../../api/wallet.postman_collection.json"

// collectionItem is a Postman (v2.1) item: a folder of items, or a request.
type collectionItem struct {
	Name    string           `json:"name"`
	Item    []collectionItem `json:"item"`
	Request *struct {
		Method string `json:"method"`
		Header []struct {
			Key string `json:"key"`
		} `json:"header"`
		URL struct {
			Host []string `json:"host"`
			Path []string `json:"path"`
		} `json:"url"`
	} `json:"request"`
}

// collectionRequest is one request of the collection, flattened.
type collectionRequest struct {
	Name, Method string
	Path         []string // segments; "{{var}}" stands for any value
	Headers      map[string]bool
}

func flatten(items []collectionItem, out *[]collectionRequest) {
	for _, it := range items {
		flatten(it.Item, out)
		if it.Request == nil {
			continue
		}
		h := map[string]bool{}
		for _, kv := range it.Request.Header {
			h[strings.ToLower(kv.Key)] = true
		}
		*out = append(*out, collectionRequest{Name: it.Name, Method: it.Request.Method, Path: it.Request.URL.Path, Headers: h})
	}
}

// matches reports whether a request's path segments fit an OpenAPI path template: a
// template parameter takes a {{variable}}, a literal segment only itself.
func matches(template string, segments []string) bool {
	parts := strings.Split(strings.Trim(template, "/"), "/")
	if len(parts) != len(segments) {
		return false
	}
	for i, p := range parts {
		isParam := strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}")
		isVar := strings.HasPrefix(segments[i], "{{") && strings.HasSuffix(segments[i], "}}")
		if isParam != isVar || (!isParam && p != segments[i]) {
			return false
		}
	}
	return true
}

// TestCollectionFollowsTheDocument keeps the Postman collection in step with
// api/openapi.yaml: every request is a documented operation, sends the Idempotency-Key
// the operation requires, and every implemented operation is exercised at least once.
func TestCollectionFollowsTheDocument(t *testing.T) {
	body, err := os.ReadFile(collectionPath)
	require.NoError(t, err)
	var col struct {
		Item []collectionItem `json:"item"`
	}
	require.NoError(t, json.Unmarshal(body, &col))
	var requests []collectionRequest
	flatten(col.Item, &requests)
	require.NotEmpty(t, requests)

	root := loadYAML(t, openAPIPath)
	ops, err := operations(root)
	require.NoError(t, err)
	covered := map[string]bool{}
	for _, r := range requests {
		t.Run(r.Name, func(t *testing.T) {
			var found *operation
			for i := range ops {
				if ops[i].Method == r.Method && matches(ops[i].Path, r.Path) {
					found = &ops[i]
				}
			}
			require.NotNil(t, found, "%s /%s is not an operation of the document", r.Method, strings.Join(r.Path, "/"))
			covered[found.String()] = true
			if params := deploy.MapValue(found.Node, "parameters"); params != nil {
				for _, p := range params.Content {
					p, err := resolve(root, p)
					require.NoError(t, err)
					if deploy.MapValue(p, "in").Value == "header" && deploy.MapValue(p, "required") != nil && deploy.MapValue(p, "required").Value == "true" {
						name := deploy.MapValue(p, "name").Value
						assert.True(t, r.Headers[strings.ToLower(name)], "%s requires the %s header", found, name)
					}
				}
			}
		})
	}
	for _, op := range ops {
		if op.Implemented {
			assert.True(t, covered[op.String()], "no request of the collection calls %s", op)
		}
	}
}

func TestCollectionPathMatching(t *testing.T) {
	tests := []struct {
		template string
		segments []string
		want     bool
	}{
		{"/v1/wallets/{id}", []string{"v1", "wallets", "{{walletId}}"}, true},
		{"/v1/wallets/{id}", []string{"v1", "wallets", "abc"}, false},
		{"/v1/notifications/read-all", []string{"v1", "notifications", "{{notificationId}}"}, false},
		{"/v1/notifications/{id}/read", []string{"v1", "notifications", "{{notificationId}}", "read"}, true},
		{"/v1/wallets", []string{"v1", "wallets", "{{id}}"}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, matches(tt.template, tt.segments), "%s %v", tt.template, tt.segments)
	}
}
