package deploy

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// zipEpoch is the fixed modification time written into every zip entry, so the same
// inputs give the same bytes and the same content hash (and no needless redeploy).
var zipEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Bundle is an artifact's bytes and the content-addressed key to store them under.
type Bundle struct {
	Key  string
	Body []byte
}

// FunctionDir maps a function's CodeUri (functions/<name>) to the directory that
// `make build` fills with its bootstrap: <buildDir>/<name>.
func FunctionDir(buildDir, codeURI string) string {
	return filepath.Join(buildDir, path.Base(codeURI))
}

// ZipDir zips every regular file below dir, marking bootstrap executable.
func ZipDir(dir string) ([]byte, error) {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("zip %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("zip %s: no files (run make build first)", dir)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", dir, err)
		}
		body, err := os.ReadFile(name) // #nosec G304 -- paths come from walking the build directory
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", dir, err)
		}
		hdr := &zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate, Modified: zipEpoch}
		mode := os.FileMode(0o644)
		if path.Base(hdr.Name) == "bootstrap" {
			mode = 0o755
		}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", dir, err)
		}
		if _, err := w.Write(body); err != nil {
			return nil, fmt.Errorf("zip %s: %w", dir, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip %s: %w", dir, err)
	}
	return buf.Bytes(), nil
}

// NewBundle names body by its content: <prefix>/<stem>-<sha256 prefix><ext>.
func NewBundle(prefix, stem, ext string, body []byte) Bundle {
	sum := sha256.Sum256(body)
	stem = strings.ToLower(stem)
	return Bundle{Key: fmt.Sprintf("%s/%s-%s%s", prefix, stem, hex.EncodeToString(sum[:8]), ext), Body: body}
}

// LocalAPIURL is the path-style address of a REST API stage on an emulator endpoint
// (MiniStack and LocalStack both serve /_aws/execute-api/<api id>/<stage>/...), which
// needs no wildcard DNS for <api id>.execute-api.localhost.
func LocalAPIURL(endpoint, apiID, stage string) string {
	return strings.TrimRight(endpoint, "/") + "/_aws/execute-api/" + apiID + "/" + stage
}
