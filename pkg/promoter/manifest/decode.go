package manifest

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// decode reads any images.yaml through the YAML library, keeping positions.
func decode(src []byte, t text) ([]Image, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // empty, or only comments
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(err)
		}
		return nil, errorf(extra.Line, "a second YAML document; images.yaml holds one list of images")
	}
	root := doc.Content[0]
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.SequenceNode {
		return nil, errorf(root.Line, "images.yaml must be a list of images (`- name: ...`), found %s", kindName(root))
	}
	if root.Style&yaml.FlowStyle != 0 && len(root.Content) > 0 {
		return nil, errorf(root.Line, "the list of images is written in flow style ([...]); promoter edits only block-style lists")
	}
	images := make([]Image, 0, len(root.Content))
	for _, item := range root.Content {
		img, err := decodeImage(item, t)
		if err != nil {
			return nil, err
		}
		images = append(images, img)
	}
	return images, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func yamlError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		// The library counts some lines from 0, so say where to look, not more.
		return errorf(line, "not valid YAML: %s (the fault is on this line or one of the next)", msg[len(m[0]):])
	}
	return errorf(0, "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

func decodeImage(item *yaml.Node, t text) (Image, error) {
	if err := plainNode(item); err != nil {
		return Image{}, err
	}
	if item.Kind != yaml.MappingNode || item.Style&yaml.FlowStyle != 0 {
		return Image{}, errorf(item.Line, "each image must be a block mapping with `name` and `dmap`, found %s", kindName(item))
	}
	img := Image{Line: item.Line, layout: imageLayout{
		first: item.Line - 1, last: item.Line - 1,
		itemIndent: t.indent(item.Line - 1), keyIndent: item.Column - 1,
		entryIndent: -1, dmapLine: -1,
	}}
	var seenName bool
	for i := 0; i+1 < len(item.Content); i += 2 {
		key, val := item.Content[i], item.Content[i+1]
		if err := plainNode(key); err != nil {
			return Image{}, err
		}
		if err := plainNode(val); err != nil {
			return Image{}, err
		}
		img.layout.last = max(img.layout.last, lastLine(val, t))
		switch key.Value {
		case "name":
			if seenName {
				return Image{}, errorf(key.Line, "image %q has a second `name` key", img.Name)
			}
			if val.Kind != yaml.ScalarNode {
				return Image{}, errorf(val.Line, "image name must be a string, found %s", kindName(val))
			}
			seenName = true
			img.Name, img.layout.nameQuote = scalarValue(val), quoteOf(val)
		case "dmap":
			if img.layout.dmapLine >= 0 {
				return Image{}, errorf(key.Line, "image %q has a second `dmap` key", img.Name)
			}
			img.layout.dmapLine = key.Line - 1
			if err := decodeDmap(&img, val, t); err != nil {
				return Image{}, err
			}
		default:
			return Image{}, errorf(key.Line, "unknown key %q in an image (the promoter knows only `name` and `dmap`)", key.Value)
		}
	}
	if !seenName {
		return Image{}, errorf(item.Line, "image without a `name`")
	}
	return img, nil
}

func decodeDmap(img *Image, dmap *yaml.Node, t text) error {
	switch {
	case isNull(dmap):
		img.layout.dmapBlock = true
		return nil
	case dmap.Kind != yaml.MappingNode:
		return errorf(dmap.Line, "`dmap` of image %q must map digests to tag lists, found %s", img.Name, kindName(dmap))
	}
	img.layout.dmapBlock = dmap.Style&yaml.FlowStyle == 0
	for i := 0; i+1 < len(dmap.Content); i += 2 {
		key, val := dmap.Content[i], dmap.Content[i+1]
		if err := plainNode(key); err != nil {
			return err
		}
		if err := plainNode(val); err != nil {
			return err
		}
		if key.Kind != yaml.ScalarNode {
			return errorf(key.Line, "image %q: a digest must be a string, found %s", img.Name, kindName(key))
		}
		if img.layout.entryIndent < 0 {
			img.layout.entryIndent = key.Column - 1
		}
		e := Entry{Digest: scalarValue(key), Line: key.Line}
		var err error
		if e.Tags, e.list, err = decodeTags(val, key, t); err != nil {
			return errorf(val.Line, "image %q digest %s: %v", img.Name, e.Digest, err)
		}
		img.Digests = append(img.Digests, e)
	}
	return nil
}

// decodeTags reads a digest's tag list and where it sits in the text.
func decodeTags(val, key *yaml.Node, t text) ([]string, tagList, error) {
	l := tagList{kind: listOther, end: lastLine(val, t)}
	if isNull(val) {
		l.kind, l.end = listNone, key.Line-1
		return nil, l, nil
	}
	if val.Kind != yaml.SequenceNode {
		return nil, l, errors.New("tags must be a list, found " + kindName(val))
	}
	tags := make([]string, 0, len(val.Content))
	for _, n := range val.Content {
		if err := plainNode(n); err != nil {
			return nil, l, err
		}
		if n.Kind != yaml.ScalarNode {
			return nil, l, errors.New("a tag must be a string, found " + kindName(n))
		}
		tags = append(tags, scalarValue(n))
	}
	if len(val.Content) > 0 {
		l.quote = quoteOf(val.Content[0])
	}
	if val.Style&yaml.FlowStyle == 0 {
		if len(val.Content) > 0 {
			l.kind, l.dash = listBlock, t.indent(val.Content[0].Line-1)
		}
		return tags, l, nil
	}
	line := val.Line - 1
	open := val.Column - 1
	lineStart := t.start[line]
	closeOff, _ := flowEnd(t.src, lineStart+open)
	if closeOff < t.start[line+1] {
		l.kind, l.open, l.close = listFlow, open, closeOff-lineStart
		l.pad = open+1 < closeOff-lineStart && t.src[lineStart+open+1] == ' '
		if len(val.Content) > 1 && val.Content[1].Line == val.Line {
			l.sep = separator(t.line(line), val.Content[1].Column-1)
		}
	}
	return tags, l, nil
}

// separator returns the ", " or "," that ends just before column col.
func separator(line []byte, col int) string {
	i := col
	for i > 0 && line[i-1] == ' ' {
		i--
	}
	if i > 0 && line[i-1] == ',' {
		return string(line[i-1 : col])
	}
	return ", "
}

// lastLine is the last line a node's text reaches, including a flow
// sequence's closing bracket on a later line.
func lastLine(n *yaml.Node, t text) int {
	last := n.Line - 1
	for _, c := range n.Content {
		last = max(last, lastLine(c, t))
	}
	if n.Kind == yaml.SequenceNode && n.Style&yaml.FlowStyle != 0 {
		if off, ok := flowEnd(t.src, t.start[n.Line-1]+n.Column-1); ok {
			for last+1 < t.n() && t.start[last+1] <= off {
				last++
			}
		}
	}
	if n.Kind == yaml.ScalarNode && (n.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) != 0 {
		last += strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1
	}
	return last
}

// plainNode refuses YAML features that would make text edits unsafe.
func plainNode(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.AliasNode || n.Anchor != "":
		return errorf(n.Line, "YAML anchors and aliases are not supported in images.yaml edits")
	case n.Kind == yaml.ScalarNode && n.Tag != "" && !strings.HasPrefix(n.Tag, "!!"):
		return errorf(n.Line, "custom YAML tag %s is not supported", n.Tag)
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// scalarValue is the string the promoter sees; a null is empty.
func scalarValue(n *yaml.Node) string {
	if isNull(n) {
		return ""
	}
	return n.Value
}

func quoteOf(n *yaml.Node) byte {
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		return '"'
	case n.Style&yaml.SingleQuotedStyle != 0:
		return '\''
	}
	return 0
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return "the value " + strconv.Quote(n.Value)
	}
	return "something else"
}
