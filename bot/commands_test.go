package bot

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mvmbot/mvmbot/cards"
)

// Every command is complete and fits the manifest; every name and alias is
// one command's (newRegistry panics otherwise, which this would report).
func TestCommandTable(t *testing.T) {
	r := newRegistry(capabilities())
	if len(r.commands) == 0 {
		t.Fatal("no commands")
	}
	for i, c := range r.commands {
		switch {
		case c.Run == nil:
			t.Errorf("command %q has no Run", c.Name)
		case c.Name == "" || c.Name != strings.ToLower(c.Name) || strings.Contains(c.Name, " "):
			t.Errorf("command %q: the name must be one lower-case word", c.Name)
		case c.Usage == "" || c.Help == "" || len(c.Scopes) == 0:
			t.Errorf("command %q lacks usage, help or scopes", c.Name)
		case len(c.Description) == 0 || len(c.Description) > 128:
			t.Errorf("command %q: description of %d characters; the manifest takes 1 to 128", c.Name, len(c.Description))
		case i > 0 && r.commands[i-1].Rank == c.Rank:
			t.Errorf("commands %q and %q share rank %d: their menu order would depend on the file order", r.commands[i-1].Name, c.Name, c.Rank)
		}
		if !strings.HasPrefix(c.Usage, c.Name) {
			t.Errorf("command %q: usage %q does not start with its name", c.Name, c.Usage)
		}
	}
}

// Typing a command's name or alias runs that command.
func TestCommandWords(t *testing.T) {
	r := newRegistry(capabilities())
	for _, c := range r.commands {
		for _, w := range append([]string{c.Name}, c.Aliases...) {
			got, ok := r.lookup(w)
			if !ok || got.Name != c.Name {
				t.Errorf("lookup(%q) = %v, %v; want command %q", w, got, ok, c.Name)
			}
		}
	}
}

func TestRegistryRefusesDuplicates(t *testing.T) {
	run := func(*turn, string) (answer, error) { return answer{}, nil }
	press := func(*turn, string, cards.ActionData, json.RawMessage) (answer, error) { return answer{}, nil }
	for name, build := range map[string]func(){
		"name twice": func() { newRegistry([][]Command{{{Name: "a", Run: run}}, {{Name: "a", Run: run}}}, nil) },
		"alias a name": func() {
			newRegistry([][]Command{{{Name: "a", Run: run}, {Name: "b", Aliases: []string{"a"}, Run: run}}}, nil)
		},
		"no Run": func() { newRegistry([][]Command{{{Name: "a"}}}, nil) },
		"verb twice": func() {
			newRegistry(nil, [][]Button{{{Verbs: []string{"v"}, Run: press}}, {{Verbs: []string{"v"}, Run: press}}})
		},
		"button without Run": func() { newRegistry(nil, [][]Button{{{Verbs: []string{"v"}}}}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("newRegistry accepted it; want a panic")
				}
			}()
			build()
		})
	}
}

// cardVerbs reads package cards' source: the Verb constants it declares,
// and those of them its (non-test) code uses, i.e. that some card sends.
func cardVerbs(t *testing.T) (declared map[string]string, sent map[string]bool) {
	t.Helper()
	dir := filepath.Join("..", "cards")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	declared, sent = map[string]string{}, map[string]bool{}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Verb") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						declared[n.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GenDecl); ok && g.Tok == token.CONST {
				return false // a declaration is not a use
			}
			if id, ok := n.(*ast.Ident); ok {
				if _, ok := declared[id.Name]; ok {
					sent[declared[id.Name]] = true
				}
			}
			return true
		})
	}
	return declared, sent
}

// Every verb a card can send has a button, and every button's verb is
// sent by some card.
func TestEveryVerbHasAButton(t *testing.T) {
	r := newRegistry(capabilities())
	declared, sent := cardVerbs(t)
	if len(sent) == 0 {
		t.Fatal("found no verb the cards send")
	}
	for name, v := range declared {
		if _, ok := r.byVerb[v]; !ok && sent[v] {
			t.Errorf("cards send %s (%q), and no button handles it", name, v)
		}
	}
	values := make([]string, 0, len(declared))
	for _, v := range declared {
		values = append(values, v)
	}
	for v := range r.byVerb {
		if !slices.Contains(values, v) {
			t.Errorf("a button handles %q, which cards does not declare", v)
		} else if !sent[v] {
			t.Errorf("a button handles %q, which no card sends", v)
		}
	}
}
