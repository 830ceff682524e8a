package botframework

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/mvmbot/mvmbot/"

// botframework is the protocol alone: neither it nor anything it imports
// from this module reaches the product (playbook, cards, store, bot, graph).
// Only internal helpers may be shared. .ci/run checks the same with go list.
func TestImportsNothingOfTheProduct(t *testing.T) {
	seen := map[string]bool{}
	var walk func(dir, from string)
	walk = func(dir, from string) {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("read %s: %v", dir, err)
		}
		for _, imp := range pkg.Imports {
			rel, ok := strings.CutPrefix(imp, module)
			if !ok || seen[rel] {
				continue
			}
			seen[rel] = true
			if !strings.HasPrefix(rel, "internal/") {
				t.Errorf("%s imports %s, which is the product's", from, imp)
				continue
			}
			walk(filepath.Join("..", filepath.FromSlash(rel)), imp)
		}
	}
	walk(".", "botframework")
}
