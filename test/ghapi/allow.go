package ghapi

// ClientDeviation is a request a client sends that GitHub serves but its
// description does not document. It is judged as the documented operations
// it stands for: the answer must fit one of them.
type ClientDeviation struct {
	Method, Path string   // method and the description's path template
	As           []string // operationIds whose answers it gets
	Reason       string
}

// ClientDeviations are the known, justified ones. Anything else undocumented
// is a violation.
var ClientDeviations = []ClientDeviation{{
	Method: "GET", Path: "/repos/{owner}/{repo}/git/refs/{ref}",
	As: []string{"git/get-ref", "git/list-matching-refs"},
	Reason: "Prow's GetRef (at the pinned version) reads git/refs/heads/<branch>: GitHub still serves it " +
		"(the ref itself on an exact match, else the refs it prefixes, as matching-refs does) but no longer " +
		"documents it; it documents git/ref/{ref} and git/matching-refs/{ref}",
}}

// BodyWithoutContentType is the allowance for a JSON request body sent
// without a Content-Type header: such a body is judged as
// application/json.
const BodyWithoutContentType = "Prow's client (at the pinned version) sends its JSON request bodies " +
	"without Content-Type; GitHub reads a request body as JSON whatever its Content-Type"

// UndocumentedAnswer is a status GitHub answers for an operation although
// its description leaves it out. The body must still be GitHub's error.
type UndocumentedAnswer struct {
	Operation string // operationId
	Status    int
	Reason    string
}

// UndocumentedAnswers are the known ones, each with the evidence.
var UndocumentedAnswers = []UndocumentedAnswer{{
	Operation: "repos/get-collaborator-permission-level", Status: 403,
	Reason: "GitHub answers a requester without push access 403 \"Must have push access to view collaborator " +
		"permission.\" (reported verbatim, with GitHub's headers, in yegor256/rultor#1407); the description " +
		"lists only 200 and 404",
}, {
	Operation: "repos/merge-upstream", Status: 404,
	Reason: "GitHub answers a branch missing from the fork 404 (PyGithub/PyGithub#3175 records it from GitHub: " +
		"merge_upstream(\"doesNotExist\") raised 404); the description lists only 200, 409 and 422",
}}

// genericStatus reports whether GitHub may answer status on any operation
// (its REST docs describe these once for the whole API, not per operation):
// a secondary rate limit (403 or 429 with Retry-After, per "Rate limits for
// the REST API") and server errors.
func genericStatus(status int, header map[string]string) bool {
	switch {
	case (status == 403 || status == 429) && header["Retry-After"] != "":
		return true
	case status >= 500 && status <= 599:
		return true
	}
	return false
}

func clientDeviation(method, path string) (ClientDeviation, bool) {
	for _, d := range ClientDeviations {
		if d.Method == method && d.Path == path {
			return d, true
		}
	}
	return ClientDeviation{}, false
}

func undocumentedAnswer(opID string, status int) bool {
	for _, u := range UndocumentedAnswers {
		if u.Operation == opID && u.Status == status {
			return true
		}
	}
	return false
}
