package hook

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/manifest"
)

// want is a Command as the tables spell it: errSub is a substring of Err's
// message, "" for a valid command.
type want struct {
	line   int
	dryRun bool
	tag    string
	images []string
	errSub string
}

type commandCase struct {
	name string
	body string
	want []want
}

var commandCases = []commandCase{
	// Valid forms.
	{"tag", "/promote v1.2.3", []want{{line: 1, tag: "v1.2.3"}}},
	{"tag and images", "/promote v1.2.3 kueue charts/kueue", []want{{line: 1, tag: "v1.2.3", images: []string{"kueue", "charts/kueue"}}}},
	{"bare", "/promote", []want{{line: 1}}},
	{"bare with trailing blanks", "/promote \t ", []want{{line: 1}}},
	{"dry-run", "/promote dry-run v1", []want{{line: 1, dryRun: true, tag: "v1"}}},
	{"dry-run images", "/promote dry-run v1 a b", []want{{line: 1, dryRun: true, tag: "v1", images: []string{"a", "b"}}}},
	{"tabs between args", "/promote\tv1\t\ta", []want{{line: 1, tag: "v1", images: []string{"a"}}}},
	{"slash tag", "/promote release/v1.0", []want{{line: 1, tag: "release/v1.0"}}},
	{"duplicate images", "/promote v1 b a b a", []want{{line: 1, tag: "v1", images: []string{"b", "a"}}}},
	{"command among prose", "LGTM.\n\n/promote v1\nthanks", []want{{line: 3, tag: "v1"}}},

	// Case and indentation.
	{"upper case", "/PROMOTE v1", []want{{line: 1, tag: "v1"}}},
	{"mixed case dry-run", "/Promote DRY-RUN v1", []want{{line: 1, dryRun: true, tag: "v1"}}},
	{"tag case kept", "/promote V1-RC", []want{{line: 1, tag: "V1-RC"}}},
	{"3 spaces", "   /promote v1", []want{{line: 1, tag: "v1"}}},
	{"4 spaces is code", "    /promote v1", nil},
	{"tab is code", "\t/promote v1", nil},
	{"2 spaces then tab is code", "  \t/promote v1", nil},
	{"not at line start", "please /promote v1", nil},
	{"inline code", "`/promote v1`", nil},

	// Other words.
	{"promotefoo", "/promotefoo v1", nil},
	{"promote-x", "/promote-x v1", nil},
	{"promote.", "/promote.", nil},
	{"no slash", "promote v1", nil},
	{"form feed is no blank", "/promote\fv1", nil},

	// Fenced code.
	{"backtick fence", "```\n/promote v1\n```\n/promote v2", []want{{line: 4, tag: "v2"}}},
	{"tilde fence", "~~~\n/promote v1\n~~~\n/promote v2", []want{{line: 4, tag: "v2"}}},
	{"info string", "```sh\n/promote v1\n```", nil},
	{"indented fence", "   ```\n/promote v1\n   ```\n/promote v2", []want{{line: 4, tag: "v2"}}},
	{"4-space fence is code, not a fence", "    ```\n/promote v1", []want{{line: 2, tag: "v1"}}},
	{"longer fence needs longer close", "````\n```\n/promote v1\n````\n/promote v2", []want{{line: 5, tag: "v2"}}},
	{"closing fence may be longer", "```\n/promote v1\n`````\n/promote v2", []want{{line: 4, tag: "v2"}}},
	{"other fence char does not close", "~~~\n```\n/promote v1\n~~~\n/promote v2", []want{{line: 5, tag: "v2"}}},
	{"close with info is no close", "```\n``` x\n/promote v1", nil},
	{"unclosed fence runs to the end", "```\n/promote v1\n/promote v2", nil},
	{"backtick in info is not a fence", "``` a`b\n/promote v1", []want{{line: 2, tag: "v1"}}},
	{"two backticks are not a fence", "``\n/promote v1", []want{{line: 2, tag: "v1"}}},
	{"tilde info may hold backticks", "~~~ a`b\n/promote v1\n~~~", nil},

	// Quotes.
	{"quote", "> /promote v1", nil},
	{"quote without space", ">/promote v1", nil},
	{"indented quote", "  > /promote v1", nil},
	{"nested quote", ">> /promote v1", nil},
	{"after a quote", "> /promote v1\n\n/promote v2", []want{{line: 3, tag: "v2"}}},

	// HTML comments.
	{"one-line comment", "<!-- /promote v1 -->", nil},
	{"multi-line comment", "<!--\n/promote v1\n-->\n/promote v2", []want{{line: 4, tag: "v2"}}},
	{"unclosed comment", "<!--\n/promote v1", nil},
	{"comment before command", "<!-- why --> /promote v1", []want{{line: 1, tag: "v1"}}},
	{"comment after command", "/promote v1 <!-- a b c -->", []want{{line: 1, tag: "v1"}}},
	{"comment inside command", "/promote v1 <!--\nnot an image\n--> kueue", []want{{line: 1, tag: "v1", images: []string{"kueue"}}}},
	{"command after comment close", "<!--\nx\n-->/promote v1", []want{{line: 3, tag: "v1"}}},
	{"text before comment hides command", "hi <!--\nx\n--> /promote v1", nil},
	{"empty comments", "<!---->/promote v1\n<!-->/promote v2\n<!--->/promote v3", []want{{line: 1, tag: "v1"}, {line: 2, tag: "v2"}, {line: 3, tag: "v3"}}},
	{"comment in fence is code", "```\n<!--\n```\n/promote v1", []want{{line: 4, tag: "v1"}}},
	{"fence in comment is hidden", "<!--\n```\n-->\n/promote v1", []want{{line: 4, tag: "v1"}}},

	// dry-run, help, flags.
	{"dry-run alone", "/promote dry-run", []want{{line: 1, dryRun: true, errSub: "dry-run needs a git tag: /promote dry-run <git-tag> [image...]"}}},
	{"help", "/promote help", []want{{line: 1, errSub: "usage: /promote <git-tag>"}}},
	{"HELP", "/promote HELP", []want{{line: 1, errSub: "usage:"}}},
	{"dry-run help", "/promote dry-run help", []want{{line: 1, dryRun: true, errSub: "usage:"}}},
	{"long flag", "/promote --force v1", []want{{line: 1, errSub: `unknown option "--force"; usage:`}}},
	{"short flag", "/promote -h", []want{{line: 1, errSub: `unknown option "-h"`}}},
	{"flag after dry-run", "/promote dry-run --all", []want{{line: 1, dryRun: true, errSub: `unknown option "--all"`}}},
	{"flag among images", "/promote v1 kueue --force", []want{{line: 1, errSub: `unknown option "--force"`}}},

	// Images.
	{"bad image", "/promote v1 Kueue", []want{{line: 1, errSub: `invalid image name "Kueue"`}}},
	{"image with tag", "/promote v1 kueue:v1", []want{{line: 1, errSub: `invalid image name "kueue:v1"`}}},
	{"20 images", "/promote v1 " + images(20), []want{{line: 1, tag: "v1", images: strings.Fields(images(20))}}},
	{"21 images", "/promote v1 " + images(21), []want{{line: 1, errSub: "too many images: at most 20 per command, got 21"}}},
	{"21 with repeats", "/promote v1 " + images(20) + " i0", []want{{line: 1, tag: "v1", images: strings.Fields(images(20))}}},

	// Tags.
	{"shell injection", "/promote v1;rm -rf /", []want{{line: 1, errSub: `"v1;rm" is not a git tag`}}},
	{"command substitution", "/promote $(id)", []want{{line: 1, errSub: `"$(id)"`}}},
	{"backticks", "/promote `id`", []want{{line: 1, errSub: "'`'"}}},
	{"NUL", "/promote v1\x00", []want{{line: 1, errSub: `"v1\x00"`}}},
	{"DEL", "/promote v1\x7f", []want{{line: 1, errSub: `"v1\x7f"`}}},
	{"double dot", "/promote a..b", []want{{line: 1, errSub: `".."`}}},
	{"lock", "/promote x.lock", []want{{line: 1, errSub: `".lock"`}}},
	{"lock component", "/promote x.lock/y", []want{{line: 1, errSub: `".lock"`}}},
	{"unicode", "/promote v1\u2024", []want{{line: 1, errSub: `"v1\u2024"`}}},
	{"200-char tag", "/promote " + strings.Repeat("a", 200), []want{{line: 1, errSub: "want 1 to 128 bytes, got 200"}}},
	{"128-char tag", "/promote " + strings.Repeat("a", 128), []want{{line: 1, tag: strings.Repeat("a", 128)}}},
	{"YAML-ish", "/promote v1: [x]", []want{{line: 1, errSub: `"v1:"`}}},
	{"at alone", "/promote @", []want{{line: 1, errSub: `"@" alone`}}},
	{"at brace", "/promote v1@{u}", []want{{line: 1, errSub: "not a git tag"}}},
	{"leading dot", "/promote .v1", []want{{line: 1, errSub: "start with '.'"}}},
	{"dot component", "/promote a/.b", []want{{line: 1, errSub: "start with '.'"}}},
	{"leading slash", "/promote /v1", []want{{line: 1, errSub: "must not start"}}},
	{"trailing slash", "/promote v1/", []want{{line: 1, errSub: "must not end"}}},
	{"trailing dot", "/promote v1.", []want{{line: 1, errSub: "must not end"}}},
	{"double slash", "/promote a//b", []want{{line: 1, errSub: `"//"`}}},
	{"git specials", "/promote v1~1", []want{{line: 1, errSub: "'~'"}}},
	{"backslash", `/promote a\b`, []want{{line: 1, errSub: `'\\'`}}},
	{"quoted tag is truncated", "/promote " + strings.Repeat("b", 99) + "!", []want{{line: 1, errSub: `"` + strings.Repeat("b", 80) + `..." is not`}}},

	// Several commands, limits, line endings.
	{"several", "/promote v1\n/promote dry-run v2 a\n/promote", []want{{line: 1, tag: "v1"}, {line: 2, dryRun: true, tag: "v2", images: []string{"a"}}, {line: 3}}},
	{"malformed counts too", "/promote -x\n/promote v1", []want{{line: 1, errSub: "unknown option"}, {line: 2, tag: "v1"}}},
	{"more than 5", strings.Repeat("/promote v1\n", 7), append(repeatWant(5, want{tag: "v1"}), want{line: 6, errSub: "at most 5 commands per comment"}, want{line: 7, errSub: "at most 5 commands per comment"})},
	{"CRLF", "hi\r\n/promote v1 kueue\r\n/promote\r\n", []want{{line: 2, tag: "v1", images: []string{"kueue"}}, {line: 3}}},
	{"CRLF fence", "```\r\n/promote v1\r\n```\r\n/promote v2\r\n", []want{{line: 4, tag: "v2"}}},
	{"too long", "/promote v1 " + strings.Repeat("a ", 500), []want{{line: 1, errSub: "command too long"}}},
	{"long prose line is fine", strings.Repeat("x", 2000) + "\n/promote v1", []want{{line: 2, tag: "v1"}}},
	{"empty", "", nil},
}

func images(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("i%d", i)
	}
	return strings.Join(names, " ")
}

func repeatWant(n int, w want) []want {
	ws := make([]want, n)
	for i := range ws {
		ws[i] = w
		ws[i].line = i + 1
	}
	return ws
}

func TestParseCommands(t *testing.T) {
	for _, tc := range commandCases {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseCommands(tc.body)
			if len(got) != len(tc.want) {
				t.Fatalf("ParseCommands(%q) = %d commands %+v, want %d", tc.body, len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				checkCommand(t, got[i], w)
			}
		})
	}
}

func checkCommand(t *testing.T, c Command, w want) {
	t.Helper()
	if c.Line != w.line || c.DryRun != w.dryRun || c.Tag != w.tag || !reflect.DeepEqual(c.Images, w.images) {
		t.Errorf("got line %d dryRun %t tag %q images %q (err %v), want line %d dryRun %t tag %q images %q",
			c.Line, c.DryRun, c.Tag, c.Images, c.Err, w.line, w.dryRun, w.tag, w.images)
	}
	switch {
	case w.errSub == "" && c.Err != nil:
		t.Errorf("unexpected error: %v", c.Err)
	case w.errSub != "" && c.Err == nil:
		t.Errorf("no error, want one containing %q", w.errSub)
	case w.errSub != "" && !strings.Contains(c.Err.Error(), w.errSub):
		t.Errorf("error %q does not contain %q", c.Err, w.errSub)
	}
}

// Every error about a command's form is a reply a maintainer can act on,
// so it shows the usage.
func TestParseCommandsErrorsQuoteUsage(t *testing.T) {
	for _, tc := range commandCases {
		for _, c := range ParseCommands(tc.body) {
			if c.Err != nil && c.Err != errTooMany && !strings.Contains(c.Err.Error(), "/promote") {
				t.Errorf("%s: error %q quotes no usage", tc.name, c.Err)
			}
		}
	}
}

func TestCheckGitTagAccepts(t *testing.T) {
	for _, tag := range []string{"v1", "v1.2.3-rc.1+build.5", "release-1.0", "kueue/v0.9.0", "a@b", "a.b/c_d", "x.locked", "_v", "v=1%2"} {
		if err := checkGitTag(tag); err != nil {
			t.Errorf("checkGitTag(%q) = %v, want nil", tag, err)
		}
	}
}

// A 65,536-character comment, GitHub's limit, of the costliest shapes must
// parse in well under a second: the parser runs per webhook.
func TestParseCommandsLinearTime(t *testing.T) {
	const size = 1 << 16
	for name, unit := range map[string]string{
		"commands":       "/promote v1 a\n",
		"long command":   "/promote " + strings.Repeat("a", size),
		"comment opens":  "<!--",
		"comment closes": "<!-- -->",
		"open per line":  "x <!--\n",
		"fences":         "```\n",
		"blank lines":    "\n",
		"spaces":         " ",
	} {
		body := strings.Repeat(unit, size/len(unit)+1)[:size]
		start := time.Now()
		ParseCommands(body)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: %v for %d bytes", name, d, len(body))
		}
	}
}

func FuzzParseCommands(f *testing.F) {
	for _, tc := range commandCases {
		f.Add(tc.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := ParseCommands(body)
		lines := strings.Count(body, "\n") + 1
		if len(got) > lines {
			t.Fatalf("%d commands from %d lines", len(got), lines)
		}
		prev := 0
		for _, c := range got {
			if c.Line <= prev || c.Line > lines {
				t.Fatalf("line %d after %d, of %d lines", c.Line, prev, lines)
			}
			prev = c.Line
			checkValid(t, c)
		}
		if again := ParseCommands(body); !sameCommands(got, again) {
			t.Fatalf("not deterministic:\n%+v\n%+v", got, again)
		}
	})
}

// checkValid holds a command without error to the validations.
func checkValid(t *testing.T, c Command) {
	t.Helper()
	if c.Err != nil {
		return
	}
	if c.Tag == "" {
		if c.DryRun || c.Images != nil {
			t.Fatalf("bare command with dry-run or images: %+v", c)
		}
		return
	}
	if err := checkGitTag(c.Tag); err != nil {
		t.Fatalf("accepted tag %q: %v", c.Tag, err)
	}
	if len(c.Images) > maxImages {
		t.Fatalf("accepted %d images", len(c.Images))
	}
	seen := map[string]bool{}
	for _, img := range c.Images {
		if err := manifest.ValidateImageName(img); err != nil || seen[img] {
			t.Fatalf("accepted image %q (err %v, repeat %t)", img, err, seen[img])
		}
		seen[img] = true
	}
}

func sameCommands(a, b []Command) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Line != y.Line || x.DryRun != y.DryRun || x.Tag != y.Tag || !reflect.DeepEqual(x.Images, y.Images) ||
			fmt.Sprint(x.Err) != fmt.Sprint(y.Err) {
			return false
		}
	}
	return true
}
