package mutation

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// filesMax bounds the files copied into a scratch copy.
const filesMax = 20_000

// CopyTree copies the repository at root into dst: every file git tracks or would track
// (untracked files that are not ignored included, deleted ones left out), as they are in
// the working tree, so that mutants run against the code as it is now.
func CopyTree(ctx context.Context, root, dst string) (int, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard") // #nosec G204 -- root is the repository given on the command line
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("list the repository's files: %w", err)
	}
	names := bytes.Split(bytes.TrimRight(out, "\x00"), []byte{0})
	if len(names) > filesMax {
		return 0, fmt.Errorf("%d files: more than %d to copy", len(names), filesMax)
	}
	copied := 0
	for _, n := range names {
		name := string(n)
		info, err := os.Lstat(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			return copied, err
		}
		if !info.Mode().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(root, name), filepath.Join(dst, name), info.Mode().Perm()); err != nil {
			return copied, err
		}
		copied++
	}
	return copied, nil
}

func copyFile(from, to string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		return fmt.Errorf("copy %s: %w", from, err)
	}
	in, err := os.Open(from) // #nosec G304 -- a file git lists
	if err != nil {
		return fmt.Errorf("copy %s: %w", from, err)
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm) // #nosec G304 -- inside the scratch copy
	if err != nil {
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", from, err)
	}
	return nil
}
