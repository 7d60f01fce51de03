// Command unusedexports lists the exported package-level constants, variables, types
// and functions of a module's packages that no code of the module uses, tests included.
// Every package of this module is internal, so such a name is dead code (or should not
// be exported); deadcode finds unreachable functions, and this finds the rest. It
// exits 1 when it lists any.
//
//	go run . [-tags integration] [module dir]
package main

import (
	"flag"
	"fmt"
	"go/types"
	"os"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

func main() {
	tags := flag.String("tags", "", "build tags the module's files need (comma-separated)")
	flag.Parse()
	dir := "."
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	unused, err := find(dir, *tags)
	if err != nil {
		fmt.Fprintln(os.Stderr, "unusedexports:", err)
		os.Exit(2)
	}
	for _, u := range unused {
		fmt.Println(u)
	}
	if len(unused) > 0 {
		os.Exit(1)
	}
}

// find loads every package of the module in dir with its tests and returns, sorted, a
// line for each exported package-level name declared outside a _test.go file that no
// file of the module refers to.
func find(dir, tags string) ([]string, error) {
	cfg := &packages.Config{Dir: dir, Tests: true,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedSyntax}
	if tags != "" {
		cfg.BuildFlags = []string{"-tags=" + tags}
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		return nil, err
	}
	if n := packages.PrintErrors(pkgs); n > 0 {
		return nil, fmt.Errorf("%d errors loading the packages", n)
	}
	// A package loads up to three times with Tests (itself, with its internal tests,
	// its external tests); an object is known by its package path and name in all.
	used := map[string]bool{}
	for _, p := range pkgs {
		for _, obj := range p.TypesInfo.Uses {
			if obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() {
				used[obj.Pkg().Path()+"."+obj.Name()] = true
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range pkgs {
		if p.ID != p.PkgPath { // a test variant: its names are the package's own
			continue
		}
		scope := p.Types.Scope()
		for _, name := range scope.Names() {
			obj := scope.Lookup(name)
			id := p.PkgPath + "." + name
			if !obj.Exported() || used[id] || seen[id] || isMain(obj) {
				continue
			}
			pos := p.Fset.Position(obj.Pos())
			if strings.HasSuffix(pos.Filename, "_test.go") {
				continue
			}
			seen[id] = true
			out = append(out, fmt.Sprintf("%s:%d: %s is exported and used nowhere", pos.Filename, pos.Line, id))
		}
	}
	sort.Strings(out)
	return out, nil
}

func isMain(obj types.Object) bool { return obj.Pkg().Name() == "main" }
