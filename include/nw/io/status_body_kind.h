#pragma once
// What kind of reply a captured status body is, told from its shape alone, before it is read:
// --test-matching is given files, not the request that fetched them, so it must learn from the
// body whether it holds a list, one query's status or an error, and whose language it is where
// Neptune's bodies differ (the Neptune user guide's status pages for the three languages):
// - a list has a top-level `queries`; one query's status (GET .../status/{id}) a top-level
//   `queryId`; an error body a top-level `code`;
// - SPARQL's `queryEvalStats` has `subqueries` and no `waited`. openCypher's and Gremlin's
//   bodies have the same syntax, so nothing in the body tells those two apart (Gremlin's
//   single-query answer adds `subqueries` but keeps `waited`).
// A scan of the keys, not a parse: a body it cannot make sense of is `unknown`, and the status
// parser then says what is wrong with it.
#include <string_view>

namespace nw {

enum class StatusBodyShape { list, single_query, error, unknown };

struct StatusBodyKind {
  StatusBodyShape shape = StatusBodyShape::unknown;
  // Some entry's queryEvalStats has `subqueries` and no `waited`: SPARQL's status.
  bool sparql = false;
};

StatusBodyKind classify_status_body(std::string_view body);

}  // namespace nw
