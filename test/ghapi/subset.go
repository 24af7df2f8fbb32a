package ghapi

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// Subset lists every way sub is not a faithful subset of full: a type,
// field, argument, input field, enum value or interface sub declares that
// full lacks, declares with another type or nullability (or argument
// default), or a required argument or input field of full that sub leaves
// out (so sub would accept what full refuses). Built-in types and
// directives are not compared.
func Subset(sub, full *ast.Schema) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, name := range sortedKeys(sub.Types) {
		st := sub.Types[name]
		if st.BuiltIn {
			continue
		}
		ft := full.Types[name]
		if ft == nil {
			add("type %s: GitHub has no such type", name)
			continue
		}
		if st.Kind != ft.Kind {
			add("type %s: a %s, GitHub's is a %s", name, st.Kind, ft.Kind)
			continue
		}
		for _, i := range st.Interfaces {
			if !contains(ft.Interfaces, i) {
				add("type %s: implements %s, GitHub's does not", name, i)
			}
		}
		for _, t := range st.Types {
			if !contains(ft.Types, t) {
				add("union %s: member %s is not GitHub's", name, t)
			}
		}
		for _, ev := range st.EnumValues {
			if ft.EnumValues.ForName(ev.Name) == nil {
				add("enum %s: value %s is not GitHub's", name, ev.Name)
			}
		}
		switch st.Kind {
		case ast.Object, ast.Interface:
			for _, f := range st.Fields {
				if f.Name == "__typename" || f.Name == "__schema" || f.Name == "__type" {
					continue
				}
				ff := ft.Fields.ForName(f.Name)
				if ff == nil {
					add("%s.%s: GitHub has no such field", name, f.Name)
					continue
				}
				if f.Type.String() != ff.Type.String() {
					add("%s.%s: type %s, GitHub's is %s", name, f.Name, f.Type, ff.Type)
				}
				out = append(out, subsetArgs(name+"."+f.Name, f.Arguments, ff.Arguments)...)
			}
		case ast.InputObject:
			for _, f := range st.Fields {
				ff := ft.Fields.ForName(f.Name)
				if ff == nil {
					add("input %s.%s: GitHub has no such field", name, f.Name)
					continue
				}
				if f.Type.String() != ff.Type.String() {
					add("input %s.%s: type %s, GitHub's is %s", name, f.Name, f.Type, ff.Type)
				}
				if defaultText(f.DefaultValue) != defaultText(ff.DefaultValue) {
					add("input %s.%s: default %s, GitHub's is %s", name, f.Name, defaultText(f.DefaultValue), defaultText(ff.DefaultValue))
				}
			}
			for _, ff := range ft.Fields {
				if ff.Type.NonNull && ff.DefaultValue == nil && st.Fields.ForName(ff.Name) == nil {
					add("input %s: leaves out GitHub's required field %s", name, ff.Name)
				}
			}
		}
	}
	return out
}

func subsetArgs(field string, sub, full ast.ArgumentDefinitionList) []string {
	var out []string
	for _, a := range sub {
		fa := full.ForName(a.Name)
		if fa == nil {
			out = append(out, fmt.Sprintf("%s(%s): GitHub has no such argument", field, a.Name))
			continue
		}
		if a.Type.String() != fa.Type.String() {
			out = append(out, fmt.Sprintf("%s(%s): type %s, GitHub's is %s", field, a.Name, a.Type, fa.Type))
		}
		if defaultText(a.DefaultValue) != defaultText(fa.DefaultValue) {
			out = append(out, fmt.Sprintf("%s(%s): default %s, GitHub's is %s", field, a.Name, defaultText(a.DefaultValue), defaultText(fa.DefaultValue)))
		}
	}
	for _, fa := range full {
		if fa.Type.NonNull && fa.DefaultValue == nil && sub.ForName(fa.Name) == nil {
			out = append(out, fmt.Sprintf("%s: leaves out GitHub's required argument %s", field, fa.Name))
		}
	}
	return out
}

func defaultText(v *ast.Value) string {
	if v == nil {
		return "(none)"
	}
	return v.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
