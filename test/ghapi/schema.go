package ghapi

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// LoadGraphQLSchema parses and validates a GraphQL SDL with gqlparser.
//
// GitHub's published schema declares a few fields twice on one type
// (EnterpriseOwnerInfo.repositoryDeployKeySetting in 15.26.1), which the
// specification forbids and gqlparser refuses; a repeat that is identical
// to the first declaration (same type and arguments) is dropped, a
// differing one is an error.
func LoadGraphQLSchema(name, sdl string) (*ast.Schema, error) {
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: name, Input: sdl})
	if err != nil {
		return nil, err
	}
	for _, list := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
		for _, def := range list {
			if def.Fields, err = dedupeFields(def); err != nil {
				return nil, err
			}
		}
	}
	return validator.ValidateSchemaDocument(doc)
}

func dedupeFields(def *ast.Definition) (ast.FieldList, error) {
	seen := map[string]*ast.FieldDefinition{}
	var out ast.FieldList
	for _, f := range def.Fields {
		first, dup := seen[f.Name]
		if !dup {
			seen[f.Name] = f
			out = append(out, f)
			continue
		}
		if first.Type.String() != f.Type.String() || argsSig(first.Arguments) != argsSig(f.Arguments) {
			return nil, fmt.Errorf("%s.%s is declared twice, differently (%s / %s)", def.Name, f.Name, first.Type, f.Type)
		}
	}
	return out, nil
}

func argsSig(args ast.ArgumentDefinitionList) string {
	s := ""
	for _, a := range args {
		s += a.Name + ":" + a.Type.String() + ","
	}
	return s
}
