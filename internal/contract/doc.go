// Package contract holds the test that keeps the API contract of record
// (api/openapi.yaml) in step with the routes template.yaml deploys: every route is
// documented, every documented operation not marked `x-implemented: false` has a route,
// both agree on which routes need a token, and every operation documents its client
// errors with the shared Error schema. It also keeps template.yaml's alarms and dashboard
// in step with internal/metrics: every metric they name is one the code emits (or an
// allowed AWS metric), with its exact dimension keys. And it keeps the layers: no domain
// package imports HTTP, an AWS SDK or the Lambda library. It has no code of its own.
package contract
