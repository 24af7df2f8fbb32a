package hook

import (
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/promoter/pkg/promoter/manifest"
)

// Command is one /promote command found in a comment.
type Command struct {
	Line   int // 1-based line in the comment, for replies
	DryRun bool
	Tag    string   // "" for the bare form
	Images []string // nil: every image the tag releases
	// Err is non-nil when the command is malformed; its message is the
	// reply, and it quotes the usage so the maintainer can fix the command.
	Err error
}

// MaxCommands bounds the work one comment can start; the extra commands are
// returned with Err set so that each still gets an answer.
const MaxCommands = 5

const (
	maxImages      = 20   // a release names a handful; more is a paste error
	maxCommandLine = 1000 // bytes; no valid command comes close
	maxTagLen      = 128  // the longest tag the promoter's manifests accept
	maxQuotedTag   = 80   // keeps a reply about a junk tag readable

	commandWord  = "/promote"
	promoteUsage = "usage: /promote <git-tag> [image...], /promote dry-run <git-tag> [image...], " +
		"or /promote alone on a merged pull request"
)

var (
	errDryRunNoTag = errors.New("dry-run needs a git tag: /promote dry-run <git-tag> [image...]")
	errHelp        = errors.New(promoteUsage)
	errTooLong     = fmt.Errorf("command too long: a /promote line holds at most %d characters; %s", maxCommandLine, promoteUsage)
	errTooMany     = fmt.Errorf("not run: at most %d commands per comment; repeat this one in a new comment", MaxCommands)
)

// ParseCommands returns the /promote commands of a comment body, in order.
// Like Prow's /hold or /cherrypick, a command is a line that starts with the
// command; unlike them it skips what Markdown shows as code, quotes and
// hidden HTML comments, because a command there is an example, someone
// else's words, or a template's placeholder — not a request. It runs in
// time linear in len(body).
func ParseCommands(body string) []Command {
	var (
		cmds []Command
		sc   lineScanner
	)
	for n, rest, more := 1, body, body != ""; more; n++ {
		var line string
		line, rest, more = strings.Cut(rest, "\n")
		text, at, ok := sc.next(strings.TrimSuffix(line, "\r"), n)
		if !ok {
			continue
		}
		c, ok := parseLine(text)
		if !ok {
			continue
		}
		if len(cmds) >= MaxCommands {
			c = Command{Err: errTooMany}
		}
		c.Line = at
		cmds = append(cmds, c)
	}
	return cmds
}

// lineScanner tracks the Markdown state that spans lines: fenced code
// blocks and HTML comments.
type lineScanner struct {
	fenceChar byte
	fenceLen  int // 0: not in a fenced block

	inComment bool
	joined    []byte // text of the current line outside comments
	joinedAt  int    // line where joined's first visible text is; 0: none yet
}

// next takes physical line n and returns the text of the logical line that
// ends there, with HTML comments removed, and the line it starts on. ok is
// false for lines inside code blocks and comments and for fences.
func (s *lineScanner) next(line string, n int) (text string, at int, ok bool) {
	if s.fenceLen > 0 {
		if closesFence(line, s.fenceChar, s.fenceLen) {
			s.fenceLen = 0
		}
		return "", 0, false
	}
	if text, at, ok = s.stripComments(line, n); !ok {
		return "", 0, false
	}
	if c, l := opensFence(text); l > 0 {
		s.fenceChar, s.fenceLen = c, l
		return "", 0, false
	}
	return text, at, true
}

// stripComments removes <!-- ... --> from the line. A comment that spans
// lines joins the text around it into one logical line, as GitHub renders
// it, so ok is false until the comment closes.
func (s *lineScanner) stripComments(line string, n int) (string, int, bool) {
	if !s.inComment && !strings.Contains(line, "<!--") {
		return line, n, true // the common case: no copy
	}
	for rest := line; ; {
		if s.inComment {
			i := strings.Index(rest, "-->")
			if i < 0 {
				return "", 0, false
			}
			rest, s.inComment = rest[i+len("-->"):], false
			continue
		}
		i := strings.Index(rest, "<!--")
		if i < 0 {
			s.keep(rest, n)
			break
		}
		s.keep(rest[:i], n)
		// "<!-->" and "<!--->" are complete comments in HTML, so the
		// search for the end starts at the opener's dashes.
		rest, s.inComment = rest[i+len("<!"):], true
	}
	text, at := string(s.joined), s.joinedAt
	if at == 0 {
		at = n
	}
	s.joined, s.joinedAt = s.joined[:0], 0
	return text, at, true
}

// keep appends visible text of line n to the logical line.
func (s *lineScanner) keep(text string, n int) {
	if s.joinedAt == 0 && strings.TrimLeft(text, " \t") != "" {
		s.joinedAt = n
	}
	s.joined = append(s.joined, text...)
}

// indent returns the Markdown indentation width of s, with tabs to the next
// multiple of 4 as CommonMark counts them, and the rest of s.
func indent(s string) (int, string) {
	cols := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			cols++
		case '\t':
			cols += 4 - cols%4
		default:
			return cols, s[i:]
		}
	}
	return cols, ""
}

// fenceRun returns the fence character and run length that start s after
// at most 3 columns of indentation; 0 when s is no fence.
func fenceRun(s string) (byte, int, string) {
	cols, rest := indent(s)
	if cols >= 4 || rest == "" || rest[0] != '`' && rest[0] != '~' {
		return 0, 0, ""
	}
	c, l := rest[0], 1
	for l < len(rest) && rest[l] == c {
		l++
	}
	if l < 3 {
		return 0, 0, ""
	}
	return c, l, rest[l:]
}

// opensFence reports a fence opener. Any info string may follow, except
// that a backtick in it makes the line inline code, not a fence.
func opensFence(s string) (byte, int) {
	c, l, info := fenceRun(s)
	if l == 0 || c == '`' && strings.IndexByte(info, '`') >= 0 {
		return 0, 0
	}
	return c, l
}

// closesFence reports whether s closes a fence of l c's: the same
// character, at least as many, and nothing else but blanks.
func closesFence(s string, c byte, l int) bool {
	fc, fl, rest := fenceRun(s)
	return fc == c && fl >= l && strings.Trim(rest, " \t") == ""
}

// parseLine parses the logical line text if it is a command: "/promote" as
// a whole word after less than a code block's indentation, not quoted.
func parseLine(text string) (Command, bool) {
	cols, rest := indent(text)
	if cols >= 4 || !isCommandWord(rest) {
		return Command{}, false
	}
	if len(text) > maxCommandLine {
		return Command{Err: errTooLong}, true
	}
	return parseArgs(strings.FieldsFunc(rest[len(commandWord):], isBlank)), true
}

// isCommandWord reports whether s starts with /promote, in any case, ended
// by a blank or the end: /promotefoo and /promote-x are other words.
func isCommandWord(s string) bool {
	w := len(commandWord)
	return len(s) >= w && strings.EqualFold(s[:w], commandWord) && (len(s) == w || isBlank(rune(s[w])))
}

func isBlank(r rune) bool { return r == ' ' || r == '\t' }

// parseArgs parses the words after /promote.
func parseArgs(args []string) Command {
	var c Command
	if len(args) > 0 && strings.EqualFold(args[0], "dry-run") {
		c.DryRun, args = true, args[1:]
		if len(args) == 0 {
			c.Err = errDryRunNoTag
			return c
		}
	}
	if len(args) == 0 {
		return c // the bare form: the merge commit's builds
	}
	if c.Err = checkFirstArg(args[0]); c.Err != nil {
		return c
	}
	images, err := checkImages(args[1:])
	if err != nil {
		c.Err = err
		return c
	}
	c.Tag, c.Images = args[0], images
	return c
}

// checkFirstArg refuses help and flags, which are not subcommands, then
// checks the tag.
func checkFirstArg(arg string) error {
	switch {
	case strings.EqualFold(arg, "help"):
		return errHelp
	case strings.HasPrefix(arg, "-"):
		return unknownOption(arg)
	}
	if err := checkGitTag(arg); err != nil {
		return fmt.Errorf("%+q is not a git tag the promoter accepts: %v; %s", truncate(arg), err, promoteUsage)
	}
	return nil
}

func unknownOption(arg string) error {
	return fmt.Errorf("unknown option %+q; %s", truncate(arg), promoteUsage)
}

// checkImages validates the image names and drops repeats, keeping the
// order; nil means none were given.
func checkImages(args []string) ([]string, error) {
	var images []string
	seen := make(map[string]bool, len(args))
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return nil, unknownOption(a)
		}
		if err := manifest.ValidateImageName(a); err != nil {
			return nil, fmt.Errorf("%v; %s", err, promoteUsage)
		}
		if !seen[a] {
			seen[a] = true
			images = append(images, a)
		}
	}
	if len(images) > maxImages {
		return nil, fmt.Errorf("too many images: at most %d per command, got %d; %s", maxImages, len(images), promoteUsage)
	}
	return images, nil
}

// truncate shortens s for quoting in a reply.
func truncate(s string) string {
	if len(s) > maxQuotedTag {
		return s[:maxQuotedTag] + "..."
	}
	return s
}

// checkGitTag applies `git check-ref-format` to refs/tags/<tag>, plus git
// tag's refusal of a leading '-', plus the promoter's own limits: at most
// 128 bytes of printable ASCII without shell or YAML metacharacters. Git
// allows those, but no release tag uses them, and the tag ends up in job
// arguments, YAML and PR text, where they could only do harm.
func checkGitTag(tag string) error {
	if len(tag) == 0 || len(tag) > maxTagLen {
		return fmt.Errorf("want 1 to %d bytes, got %d", maxTagLen, len(tag))
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(forbiddenTagBytes, c) >= 0 {
			return fmt.Errorf("character %+q is not allowed", rune(c))
		}
	}
	return checkTagShape(tag)
}

// forbiddenTagBytes are git's forbidden printable characters (~^:?*[\)
// followed by the metacharacters the promoter refuses.
const forbiddenTagBytes = "~^:?*[\\" + "`$;&|<>'\"(){},#!"

// checkTagShape is the structural half of git check-ref-format.
func checkTagShape(tag string) error {
	switch {
	case tag == "@":
		return errors.New(`"@" alone is not a ref name`)
	case tag[0] == '-' || tag[0] == '/':
		return errors.New("must not start with '-' or '/'")
	case strings.HasSuffix(tag, "/") || strings.HasSuffix(tag, "."):
		return errors.New("must not end with '/' or '.'")
	case strings.Contains(tag, ".."), strings.Contains(tag, "@{"), strings.Contains(tag, "//"):
		return errors.New(`must not contain "..", "@{" or "//"`)
	}
	for _, part := range strings.Split(tag, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return errors.New(`no part between slashes may start with '.' or end with ".lock"`)
		}
	}
	return nil
}
