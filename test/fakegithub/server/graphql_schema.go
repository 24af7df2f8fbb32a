package server

import (
	"fmt"
	"strings"
)

// schemaSDL is the part of GitHub's GraphQL schema the stand-in serves,
// with GitHub's names, types and nullability.
const schemaSDL = `
scalar String
scalar Int
scalar Float
scalar Boolean
scalar ID
scalar GitObjectID
scalar GitRefname
scalar GitTimestamp
scalar DateTime
scalar URI
scalar HTML
scalar Base64String

enum PullRequestState { OPEN CLOSED MERGED }
enum RepositoryPermission { ADMIN MAINTAIN WRITE TRIAGE READ }
enum RepositoryVisibility { PRIVATE PUBLIC INTERNAL }
enum MergeableState { MERGEABLE CONFLICTING UNKNOWN }
enum OrderDirection { ASC DESC }
enum IssueOrderField { CREATED_AT UPDATED_AT COMMENTS }
enum RefOrderField { TAG_COMMIT_DATE ALPHABETICAL }

interface Node { id: ID! }

interface Actor {
  avatarUrl(size: Int): URI!
  login: String!
  resourcePath: URI!
  url: URI!
}

interface RepositoryOwner {
  avatarUrl(size: Int): URI!
  id: ID!
  login: String!
  repository(name: String!, followRenames: Boolean = true): Repository
  resourcePath: URI!
  url: URI!
}

interface GitObject {
  abbreviatedOid: String!
  commitResourcePath: URI!
  commitUrl: URI!
  id: ID!
  oid: GitObjectID!
  repository: Repository!
}

type Query {
  viewer: User!
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  repositoryOwner(login: String!): RepositoryOwner
  user(login: String!): User
  organization(login: String!): Organization
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  rateLimit(dryRun: Boolean = false): RateLimit
}

type Mutation {
  createRef(input: CreateRefInput!): CreateRefPayload
  updateRef(input: UpdateRefInput!): UpdateRefPayload
  deleteRef(input: DeleteRefInput!): DeleteRefPayload
  createCommitOnBranch(input: CreateCommitOnBranchInput!): CreateCommitOnBranchPayload
}

type User implements Node & Actor & RepositoryOwner {
  avatarUrl(size: Int): URI!
  databaseId: Int
  email: String!
  id: ID!
  isViewer: Boolean!
  login: String!
  name: String
  repository(name: String!, followRenames: Boolean = true): Repository
  resourcePath: URI!
  url: URI!
}

type Organization implements Node & Actor & RepositoryOwner {
  avatarUrl(size: Int): URI!
  databaseId: Int
  id: ID!
  login: String!
  name: String
  repository(name: String!, followRenames: Boolean = true): Repository
  resourcePath: URI!
  url: URI!
  viewerIsAMember: Boolean!
}

type Repository implements Node {
  createdAt: DateTime!
  databaseId: Int
  defaultBranchRef: Ref
  description: String
  forkCount: Int!
  id: ID!
  isArchived: Boolean!
  isDisabled: Boolean!
  isEmpty: Boolean!
  isFork: Boolean!
  isLocked: Boolean!
  isPrivate: Boolean!
  isTemplate: Boolean!
  mergeCommitAllowed: Boolean!
  name: String!
  nameWithOwner: String!
  object(expression: String, oid: GitObjectID): GitObject
  owner: RepositoryOwner!
  parent: Repository
  pullRequest(number: Int!): PullRequest
  pullRequests(after: String, baseRefName: String, before: String, first: Int, headRefName: String, labels: [String!], last: Int, orderBy: IssueOrder, states: [PullRequestState!]): PullRequestConnection!
  pushedAt: DateTime
  rebaseMergeAllowed: Boolean!
  ref(qualifiedName: String!): Ref
  refs(after: String, before: String, direction: OrderDirection, first: Int, last: Int, orderBy: RefOrder, query: String, refPrefix: String!): RefConnection
  resourcePath: URI!
  squashMergeAllowed: Boolean!
  updatedAt: DateTime!
  url: URI!
  viewerCanAdminister: Boolean!
  viewerPermission: RepositoryPermission
  visibility: RepositoryVisibility!
}

type Ref implements Node {
  associatedPullRequests(after: String, baseRefName: String, before: String, first: Int, headRefName: String, labels: [String!], last: Int, orderBy: IssueOrder, states: [PullRequestState!]): PullRequestConnection!
  id: ID!
  name: String!
  prefix: String!
  repository: Repository!
  target: GitObject
}

type RefConnection {
  edges: [RefEdge]
  nodes: [Ref]
  pageInfo: PageInfo!
  totalCount: Int!
}

type RefEdge {
  cursor: String!
  node: Ref
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

type Commit implements Node & GitObject {
  abbreviatedOid: String!
  author: GitActor
  authoredDate: DateTime!
  commitResourcePath: URI!
  commitUrl: URI!
  committedDate: DateTime!
  committer: GitActor
  file(path: String!): TreeEntry
  id: ID!
  message: String!
  messageBody: String!
  messageHeadline: String!
  oid: GitObjectID!
  parents(after: String, before: String, first: Int, last: Int): CommitConnection!
  repository: Repository!
  resourcePath: URI!
  tree: Tree!
  treeUrl: URI!
  url: URI!
}

type CommitConnection {
  edges: [CommitEdge]
  nodes: [Commit]
  pageInfo: PageInfo!
  totalCount: Int!
}

type CommitEdge {
  cursor: String!
  node: Commit
}

type Tree implements Node & GitObject {
  abbreviatedOid: String!
  commitResourcePath: URI!
  commitUrl: URI!
  entries: [TreeEntry!]
  id: ID!
  oid: GitObjectID!
  repository: Repository!
}

type TreeEntry {
  extension: String
  isGenerated: Boolean!
  lineCount: Int
  mode: Int!
  name: String!
  object: GitObject
  oid: GitObjectID!
  path: String
  repository: Repository!
  size: Int!
  type: String!
}

type Blob implements Node & GitObject {
  abbreviatedOid: String!
  byteSize: Int!
  commitResourcePath: URI!
  commitUrl: URI!
  id: ID!
  isBinary: Boolean
  isTruncated: Boolean!
  oid: GitObjectID!
  repository: Repository!
  text: String
}

type Tag implements Node & GitObject {
  abbreviatedOid: String!
  commitResourcePath: URI!
  commitUrl: URI!
  id: ID!
  message: String
  name: String!
  oid: GitObjectID!
  repository: Repository!
  tagger: GitActor
  target: GitObject!
}

type GitActor {
  avatarUrl(size: Int): URI!
  date: GitTimestamp
  email: String
  name: String
  user: User
}

type PullRequest implements Node {
  author: Actor
  baseRefName: String!
  baseRefOid: GitObjectID!
  baseRepository: Repository
  body: String!
  closed: Boolean!
  closedAt: DateTime
  createdAt: DateTime!
  databaseId: Int
  headRefName: String!
  headRefOid: GitObjectID!
  headRepository: Repository
  headRepositoryOwner: RepositoryOwner
  id: ID!
  isCrossRepository: Boolean!
  isDraft: Boolean!
  labels(after: String, before: String, first: Int, last: Int): LabelConnection
  maintainerCanModify: Boolean!
  mergeCommit: Commit
  mergeable: MergeableState!
  merged: Boolean!
  mergedAt: DateTime
  number: Int!
  permalink: URI!
  repository: Repository!
  resourcePath: URI!
  state: PullRequestState!
  title: String!
  updatedAt: DateTime!
  url: URI!
}

type PullRequestConnection {
  edges: [PullRequestEdge]
  nodes: [PullRequest]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequestEdge {
  cursor: String!
  node: PullRequest
}

type Label implements Node {
  color: String!
  description: String
  id: ID!
  name: String!
  url: URI!
}

type LabelConnection {
  edges: [LabelEdge]
  nodes: [Label]
  pageInfo: PageInfo!
  totalCount: Int!
}

type LabelEdge {
  cursor: String!
  node: Label
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

input IssueOrder { direction: OrderDirection!  field: IssueOrderField! }
input RefOrder { direction: OrderDirection!  field: RefOrderField! }

input CreateRefInput {
  clientMutationId: String
  name: String!
  oid: GitObjectID!
  repositoryId: ID!
}

type CreateRefPayload {
  clientMutationId: String
  ref: Ref
}

input UpdateRefInput {
  clientMutationId: String
  force: Boolean = false
  oid: GitObjectID!
  refId: ID!
}

type UpdateRefPayload {
  clientMutationId: String
  ref: Ref
}

input DeleteRefInput {
  clientMutationId: String
  refId: ID!
}

type DeleteRefPayload {
  clientMutationId: String
}

input CommittableBranch {
  branchName: String
  id: ID
  repositoryNameWithOwner: String
}

input CommitMessage {
  body: String
  headline: String!
}

input FileAddition {
  contents: Base64String!
  path: String!
}

input FileDeletion {
  path: String!
}

input FileChanges {
  additions: [FileAddition!] = []
  deletions: [FileDeletion!] = []
}

input CreateCommitOnBranchInput {
  branch: CommittableBranch!
  clientMutationId: String
  expectedHeadOid: GitObjectID!
  fileChanges: FileChanges
  message: CommitMessage!
}

type CreateCommitOnBranchPayload {
  clientMutationId: String
  commit: Commit
  ref: Ref
}
`

// staticTypes are object types whose values are *gStatic.
var staticTypes = map[string]bool{
	"RefConnection": true, "RefEdge": true, "PageInfo": true, "CommitConnection": true, "CommitEdge": true,
	"PullRequestConnection": true, "PullRequestEdge": true, "LabelConnection": true, "LabelEdge": true,
	"RateLimit": true, "CreateRefPayload": true, "UpdateRefPayload": true, "DeleteRefPayload": true,
	"CreateCommitOnBranchPayload": true,
}

// newSchema parses schemaSDL and attaches the resolvers. It panics when a
// field of a non-static object type has no resolver.
func newSchema() *gqlSchema {
	types, err := parseSDL(schemaSDL)
	if err != nil {
		panic("fakegithub: schema: " + err.Error())
	}
	sc := &gqlSchema{types: types}
	for key, r := range resolvers() {
		tn, fn, _ := strings.Cut(key, ".")
		f := sc.field(tn, fn)
		if f == nil {
			panic("fakegithub: resolver for unknown field " + key)
		}
		f.resolve = r
	}
	for _, t := range sc.types {
		if t.kind != "OBJECT" || staticTypes[t.name] {
			continue
		}
		for _, f := range t.fields {
			if f.resolve == nil {
				panic("fakegithub: no resolver for " + t.name + "." + f.name)
			}
		}
	}
	return sc
}

// parseSDL reads the type-system subset the schema above uses: scalar,
// enum, interface, type (implements), input; field arguments and defaults.
func parseSDL(src string) (types map[string]*gqlType, err error) {
	p := &parser{lx: &lexer{src: src, line: 1, col: 1}}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*gqlParseError)
			if !ok {
				panic(r)
			}
			types, err = nil, pe
		}
	}()
	p.advance()
	types = map[string]*gqlType{}
	for p.tok.kind != tokEOF {
		kw, _ := p.name()
		name, _ := p.name()
		t := &gqlType{name: name}
		switch kw {
		case "scalar":
			t.kind = "SCALAR"
		case "enum":
			t.kind = "ENUM"
			p.expectPunct("{")
			for !p.isPunct("}") {
				v, _ := p.name()
				t.enum = append(t.enum, v)
			}
			p.advance()
		case "interface", "type":
			t.kind = map[string]string{"interface": "INTERFACE", "type": "OBJECT"}[kw]
			if p.isName("implements") {
				p.advance()
				for {
					if p.isPunct("&") {
						p.advance()
					}
					i, _ := p.name()
					t.interfaces = append(t.interfaces, i)
					if !p.isPunct("&") {
						break
					}
				}
			}
			t.fields = map[string]*gqlFieldDef{}
			p.expectPunct("{")
			for !p.isPunct("}") {
				fn, _ := p.name()
				f := &gqlFieldDef{name: fn}
				if p.isPunct("(") {
					p.advance()
					for !p.isPunct(")") {
						f.args = append(f.args, p.inputValueDef())
					}
					p.advance()
				}
				p.expectPunct(":")
				f.typ = p.typeRef()
				t.fields[fn] = f
			}
			p.advance()
		case "input":
			t.kind = "INPUT_OBJECT"
			p.expectPunct("{")
			for !p.isPunct("}") {
				t.inputs = append(t.inputs, p.inputValueDef())
			}
			p.advance()
		default:
			return nil, fmt.Errorf("unknown definition %q", kw)
		}
		types[name] = t
	}
	return types, nil
}

func (p *parser) inputValueDef() *gqlInputDef {
	n, _ := p.name()
	p.expectPunct(":")
	d := &gqlInputDef{name: n, typ: p.typeRef()}
	if p.isPunct("=") {
		p.advance()
		d.def, d.hasDef = p.value(true), true
	}
	return d
}
