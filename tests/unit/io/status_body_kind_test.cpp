// What kind of reply a captured status body is, from its keys alone.
#include "nw/io/status_body_kind.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace nw {
namespace {

std::string data(const std::string& name) {
  std::ifstream in(std::string(NW_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ClassifyStatusBody, TellsListsSingleQueriesErrorsAndSparql) {
  using S = StatusBodyShape;
  struct Row {
    const char* name;
    std::string body;
    StatusBodyShape shape;
    bool sparql;
  } rows[] = {
      {"openCypher list", data("opencypher_list_extra_fields_64bit.json"), S::list, false},
      {"empty list", data("opencypher_list_empty.json"), S::list, false},
      {"Gremlin list (same syntax as openCypher)", data("gremlin_list.json"), S::list, false},
      {"SPARQL list", data("sparql_list.json"), S::list, true},
      {"openCypher single query", data("opencypher_single_query.json"), S::single_query, false},
      {"Gremlin single query: subqueries beside waited",
       R"j({"queryId":"g","queryString":"g.V()","queryEvalStats":{"waited":0,"elapsed":5,"subqueries":{},"cancelled":false}})j",
       S::single_query, false},
      {"SPARQL single query",
       R"j({"queryId":"s","queryEvalStats":{"subqueries":0,"elapsed":5,"cancelled":false},"queryString":"ASK {}"})j",
       S::single_query, true},
      {"error body", data("error_read_only_violation.json"), S::error, false},
      {"a key's name inside a text is no key",
       R"j({"queries":[{"queryId":"q","queryString":"\"subqueries\": 1 \"code\":","queryEvalStats":{"waited":1}}]})j",
       S::list, false},
      {"subqueries outside queryEvalStats", R"j({"queries":[{"queryId":"q","subqueries":0}]})j",
       S::list, false},
      {"a nested queryId is not the top level's", R"j({"x":{"queryId":"q"}})j", S::unknown, false},
      {"not JSON", "hello", S::unknown, false},
      {"empty", "", S::unknown, false},
      {"truncated", R"j({"queries":[{"queryId":"q","queryString":"MATC)j", S::list, false},
      {"an array", "[1, 2]", S::unknown, false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const StatusBodyKind kind = classify_status_body(row.body);
    EXPECT_EQ(kind.shape, row.shape);
    EXPECT_EQ(kind.sparql, row.sparql);
  }
}

}  // namespace
}  // namespace nw
