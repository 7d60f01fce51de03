// Package deploy packages a SAM template's local artifacts into S3 and deploys the
// template through CloudFormation change sets. It is the one deploy path for the
// local engine and for LocalStack; AWS itself is deployed with `sam deploy`.
package deploy

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Artifact is one local path that a template resource points at and that must be
// uploaded before CloudFormation can read it.
type Artifact struct {
	LogicalID string // the resource that refers to it
	Property  string // CodeUri, DefinitionUri or AWS::Include
	LocalPath string // as written in the template, e.g. functions/health
}

// includeProperty marks an artifact named by an `Fn::Transform: AWS::Include` snippet
// (its Parameters.Location) anywhere inside a resource, as `sam package` uploads them.
const includeProperty = "AWS::Include"

// Key names the artifact in SetArtifactURIs: the logical id, and for an include also its
// path (one resource may include several files).
func (a Artifact) Key() string {
	if a.Property == includeProperty {
		return a.LogicalID + ":" + a.LocalPath
	}
	return a.LogicalID
}

// artifactProperties lists, per resource type, the property that names a local path.
var artifactProperties = map[string]string{
	"AWS::Serverless::Function":     "CodeUri",
	"AWS::Serverless::StateMachine": "DefinitionUri",
}

// Template is a parsed SAM template that keeps CloudFormation tags (!Ref, !Sub, …).
type Template struct {
	root *yaml.Node
}

// ParseTemplate reads a YAML template.
func ParseTemplate(body []byte) (*Template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse template: top level is not a mapping")
	}
	return &Template{root: &root}, nil
}

// Artifacts lists the local paths the template's resources refer to, sorted by logical id.
func (t *Template) Artifacts() []Artifact {
	var out []Artifact
	t.eachArtifact(func(a Artifact, _ *yaml.Node) { out = append(out, a) })
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// SetArtifactURIs replaces each local path with its uploaded location (s3://bucket/key),
// keyed by Artifact.Key. An artifact without an entry is left as it is.
func (t *Template) SetArtifactURIs(uris map[string]string) {
	t.eachArtifact(func(a Artifact, value *yaml.Node) {
		if uri, ok := uris[a.Key()]; ok {
			value.Value = uri
			value.Tag = "!!str"
			value.Style = 0
		}
	})
}

// Bytes renders the template back to YAML.
func (t *Template) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(t.root); err != nil {
		return nil, fmt.Errorf("render template: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render template: %w", err)
	}
	return buf.Bytes(), nil
}

func (t *Template) eachArtifact(visit func(Artifact, *yaml.Node)) {
	resources := MapValue(t.root.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		typ := MapValue(res, "Type")
		if typ == nil {
			continue
		}
		if prop, ok := artifactProperties[typ.Value]; ok {
			value := MapValue(MapValue(res, "Properties"), prop)
			if value != nil && value.Kind == yaml.ScalarNode && isLocalPath(value.Value) {
				visit(Artifact{LogicalID: id, Property: prop, LocalPath: path.Clean(value.Value)}, value)
			}
		}
		eachInclude(res, includeDepthMax, func(location *yaml.Node) {
			visit(Artifact{LogicalID: id, Property: includeProperty, LocalPath: path.Clean(location.Value)}, location)
		})
	}
}

// includeDepthMax bounds the walk for includes inside one resource (a template is a
// few levels deep; the bound only guards against a pathological document).
const includeDepthMax = 32

// eachInclude visits the local Location of every `Fn::Transform: {Name: AWS::Include}`
// under n.
func eachInclude(n *yaml.Node, depth int, visit func(location *yaml.Node)) {
	if n == nil || depth == 0 {
		return
	}
	if n.Kind == yaml.MappingNode {
		if tr := MapValue(n, "Fn::Transform"); tr != nil {
			if name := MapValue(tr, "Name"); name != nil && name.Value == includeProperty {
				loc := MapValue(MapValue(tr, "Parameters"), "Location")
				if loc != nil && loc.Kind == yaml.ScalarNode && isLocalPath(loc.Value) {
					visit(loc)
				}
			}
		}
	}
	for _, c := range n.Content {
		eachInclude(c, depth-1, visit)
	}
}

func isLocalPath(p string) bool {
	return p != "" && !strings.HasPrefix(p, "s3://") && !strings.HasPrefix(p, "https://")
}

// MapValue returns the value at key of a YAML mapping node; nil when m is not a mapping
// or has no such key.
func MapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
