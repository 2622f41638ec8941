#include "nw/sim/request_router.h"

#include <gtest/gtest.h>

namespace nw::sim {
namespace {

TEST(RequestRouter, RecognisesEveryFormNeptuneAccepts) {
  const struct Row {
    const char* method;
    const char* target;
    Parameters form;
    Endpoint endpoint;
    Api api;
    const char* query_id;
    bool include_waiting;
    bool silent;
  } rows[] = {
      // REST (neptunedata)
      {"GET", "/opencypher/status", {}, Endpoint::list_queries, Api::legacy, "", false, false},
      {"GET",
       "/opencypher/status?includeWaiting=true",
       {},
       Endpoint::list_queries,
       Api::legacy,
       "",
       true,
       false},
      {"GET",
       "/opencypher/status?includeWaiting=True",
       {},
       Endpoint::list_queries,
       Api::legacy,
       "",
       true,
       false},
      {"GET",
       "/opencypher/status?includeWaiting=false",
       {},
       Endpoint::list_queries,
       Api::legacy,
       "",
       false,
       false},
      {"GET", "/opencypher/status/", {}, Endpoint::list_queries, Api::legacy, "", false, false},
      {"GET",
       "/opencypher/status/abc-1",
       {},
       Endpoint::query_status,
       Api::rest,
       "abc-1",
       false,
       false},
      {"DELETE",
       "/opencypher/status/abc-1",
       {},
       Endpoint::cancel_query,
       Api::rest,
       "abc-1",
       false,
       false},
      {"DELETE",
       "/opencypher/status/abc-1?silent=true",
       {},
       Endpoint::cancel_query,
       Api::rest,
       "abc-1",
       false,
       true},
      {"DELETE",
       "/opencypher/status/a%20b",
       {},
       Endpoint::cancel_query,
       Api::rest,
       "a b",
       false,
       false},
      {"PUT",
       "/opencypher/status/abc-1",
       {},
       Endpoint::method_not_allowed,
       Api::rest,
       "abc-1",
       false,
       false},
      // legacy servlet, query string
      {"GET",
       "/openCypher/status?queryId=q1",
       {},
       Endpoint::query_status,
       Api::legacy,
       "q1",
       false,
       false},
      {"GET",
       "/openCypher/status?cancelQuery&queryId=q1",
       {},
       Endpoint::cancel_query,
       Api::legacy,
       "q1",
       false,
       false},
      {"GET",
       "/openCypher/status?cancelQuery=&queryId=q1&silent=true",
       {},
       Endpoint::cancel_query,
       Api::legacy,
       "q1",
       false,
       true},
      {"DELETE",
       "/openCypher/status?queryId=q1",
       {},
       Endpoint::cancel_query,
       Api::legacy,
       "q1",
       false,
       false},
      {"DELETE",
       "/openCypher/status?queryId=q1&silent=TRUE",
       {},
       Endpoint::cancel_query,
       Api::legacy,
       "q1",
       false,
       true},
      {"DELETE", "/openCypher/status", {}, Endpoint::cancel_query, Api::legacy, "", false, false},
      {"GET", "/OPENCYPHER/Status", {}, Endpoint::list_queries, Api::legacy, "", false, false},
      // legacy servlet, form body
      {"POST",
       "/openCypher/status",
       {{"includeWaiting", "true"}},
       Endpoint::list_queries,
       Api::legacy,
       "",
       true,
       false},
      {"POST",
       "/openCypher/status",
       {{"queryId", "q2"}},
       Endpoint::query_status,
       Api::legacy,
       "q2",
       false,
       false},
      {"POST",
       "/openCypher/status",
       {{"cancelQuery", ""}, {"queryId", "q2"}, {"silent", "true"}},
       Endpoint::cancel_query,
       Api::legacy,
       "q2",
       false,
       true},
      {"POST",
       "/openCypher/status",
       {{"cancelQuery", ""}},
       Endpoint::cancel_query,
       Api::legacy,
       "",
       false,
       false},
      {"POST",
       "/openCypher/status?queryId=fromQuery",
       {{"queryId", "fromBody"}},
       Endpoint::query_status,
       Api::legacy,
       "fromQuery",
       false,
       false},
      {"PATCH",
       "/openCypher/status",
       {},
       Endpoint::method_not_allowed,
       Api::legacy,
       "",
       false,
       false},
      // control API and the rest
      {"POST", "/sim/queries", {}, Endpoint::inject_query, Api::rest, "", false, false},
      {"GET", "/sim/queries", {}, Endpoint::method_not_allowed, Api::rest, "", false, false},
      {"GET", "/sim/cancels", {}, Endpoint::list_cancels, Api::rest, "", false, false},
      {"GET", "/sim/stats", {}, Endpoint::stats, Api::rest, "", false, false},
      {"GET", "/sim/nothing", {}, Endpoint::not_found, Api::rest, "", false, false},
      {"GET", "/neo4j/status", {}, Endpoint::not_found, Api::rest, "", false, false},
      {"GET", "/gremlin/statuses", {}, Endpoint::not_found, Api::rest, "", false, false},
      {"GET", "/sparql/status/abc-1", {}, Endpoint::not_found, Api::rest, "", false, false},
      {"GET", "/gremlin/status/a/b", {}, Endpoint::not_found, Api::rest, "", false, false},
      {"GET", "/opencypher/status/a/b", {}, Endpoint::not_found, Api::rest, "", false, false},
      {"GET", "/", {}, Endpoint::not_found, Api::rest, "", false, false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.method) + " " + row.target);
    const Route route = route_request(row.method, row.target, row.form);
    EXPECT_EQ(route.endpoint, row.endpoint);
    if (route.endpoint == Endpoint::cancel_query) {
      EXPECT_EQ(route.api, row.api);
    }
    EXPECT_EQ(route.query_id, row.query_id);
    EXPECT_EQ(route.include_waiting, row.include_waiting);
    EXPECT_EQ(route.silent, row.silent);
    if (route.endpoint != Endpoint::not_found) {
      EXPECT_EQ(route.language, Language::opencypher);
    }
  }
}

TEST(RequestRouter, RecognisesGremlinAndSparqlForms) {
  const struct Row {
    const char* method;
    const char* target;
    Parameters form;
    Endpoint endpoint;
    Language language;
    Api api;
    const char* query_id;
    bool include_waiting;
    bool silent;
  } rows[] = {
      // Gremlin REST: as openCypher, but silent is no parameter of its cancel
      {"GET",
       "/gremlin/status",
       {},
       Endpoint::list_queries,
       Language::gremlin,
       Api::legacy,
       "",
       false,
       false},
      {"GET",
       "/gremlin/status?includeWaiting=true",
       {},
       Endpoint::list_queries,
       Language::gremlin,
       Api::legacy,
       "",
       true,
       false},
      {"GET",
       "/gremlin/status/g-1",
       {},
       Endpoint::query_status,
       Language::gremlin,
       Api::rest,
       "g-1",
       false,
       false},
      {"DELETE",
       "/gremlin/status/g-1",
       {},
       Endpoint::cancel_query,
       Language::gremlin,
       Api::rest,
       "g-1",
       false,
       false},
      {"DELETE",
       "/gremlin/status/g-1?silent=true",
       {},
       Endpoint::cancel_query,
       Language::gremlin,
       Api::rest,
       "g-1",
       false,
       false},
      {"PUT",
       "/gremlin/status/g-1",
       {},
       Endpoint::method_not_allowed,
       Language::gremlin,
       Api::rest,
       "g-1",
       false,
       false},
      // Gremlin legacy servlet
      {"POST",
       "/gremlin/status",
       {{"includeWaiting", "true"}},
       Endpoint::list_queries,
       Language::gremlin,
       Api::legacy,
       "",
       true,
       false},
      {"GET",
       "/gremlin/status?queryId=g-2",
       {},
       Endpoint::query_status,
       Language::gremlin,
       Api::legacy,
       "g-2",
       false,
       false},
      {"POST",
       "/gremlin/status",
       {{"cancelQuery", ""}, {"queryId", "g-2"}, {"silent", "true"}},
       Endpoint::cancel_query,
       Language::gremlin,
       Api::legacy,
       "g-2",
       false,
       false},
      {"GET",
       "/gremlin/status?cancelQuery&queryId=g-2",
       {},
       Endpoint::cancel_query,
       Language::gremlin,
       Api::legacy,
       "g-2",
       false,
       false},
      {"DELETE",
       "/gremlin/status?queryId=g-2",
       {},
       Endpoint::method_not_allowed,
       Language::gremlin,
       Api::legacy,
       "g-2",
       false,
       false},
      // SPARQL: legacy only; the list always includes waiting queries
      {"GET",
       "/sparql/status",
       {},
       Endpoint::list_queries,
       Language::sparql,
       Api::legacy,
       "",
       true,
       false},
      {"POST",
       "/sparql/status",
       {{"includeWaiting", "false"}},
       Endpoint::list_queries,
       Language::sparql,
       Api::legacy,
       "",
       true,
       false},
      {"POST",
       "/sparql/status",
       {{"queryId", "s-1"}},
       Endpoint::query_status,
       Language::sparql,
       Api::legacy,
       "s-1",
       false,
       false},
      {"POST",
       "/sparql/status",
       {{"cancelQuery", ""}, {"queryId", "s-1"}, {"silent", "true"}},
       Endpoint::cancel_query,
       Language::sparql,
       Api::legacy,
       "s-1",
       false,
       true},
      {"GET",
       "/sparql/status?cancelQuery&queryId=s-1&silent=false",
       {},
       Endpoint::cancel_query,
       Language::sparql,
       Api::legacy,
       "s-1",
       false,
       false},
      {"POST",
       "/sparql/status",
       {{"cancelQuery", ""}},
       Endpoint::cancel_query,
       Language::sparql,
       Api::legacy,
       "",
       false,
       false},
      {"DELETE",
       "/sparql/status?queryId=s-1",
       {},
       Endpoint::method_not_allowed,
       Language::sparql,
       Api::legacy,
       "s-1",
       false,
       false},
      {"PUT",
       "/sparql/status",
       {},
       Endpoint::method_not_allowed,
       Language::sparql,
       Api::legacy,
       "",
       false,
       false},
      // The language and status segments match in any case
      {"GET",
       "/GREMLIN/Status",
       {},
       Endpoint::list_queries,
       Language::gremlin,
       Api::legacy,
       "",
       false,
       false},
      {"DELETE",
       "/Gremlin/STATUS/g-3/",
       {},
       Endpoint::cancel_query,
       Language::gremlin,
       Api::rest,
       "g-3",
       false,
       false},
      {"GET",
       "/SPARQL/status?queryId=s-2",
       {},
       Endpoint::query_status,
       Language::sparql,
       Api::legacy,
       "s-2",
       false,
       false},
      {"POST",
       "/Sparql/Status/",
       {{"cancelQuery", ""}, {"queryId", "s-2"}},
       Endpoint::cancel_query,
       Language::sparql,
       Api::legacy,
       "s-2",
       false,
       false},
      {"GET",
       "/OpenCypher/STATUS/o-1",
       {},
       Endpoint::query_status,
       Language::opencypher,
       Api::rest,
       "o-1",
       false,
       false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.method) + " " + row.target);
    const Route route = route_request(row.method, row.target, row.form);
    EXPECT_EQ(route.endpoint, row.endpoint);
    EXPECT_EQ(route.language, row.language);
    EXPECT_EQ(route.api, row.api);
    EXPECT_EQ(route.query_id, row.query_id);
    EXPECT_EQ(route.include_waiting, row.include_waiting);
    EXPECT_EQ(route.silent, row.silent);
  }
}

TEST(QueryLanguage, NamesAndParsesTheLanguages) {
  EXPECT_EQ(language_name(Language::opencypher), "opencypher");
  EXPECT_EQ(language_name(Language::gremlin), "gremlin");
  EXPECT_EQ(language_name(Language::sparql), "sparql");
  EXPECT_EQ(parse_language("openCypher"), Language::opencypher);
  EXPECT_EQ(parse_language("GREMLIN"), Language::gremlin);
  EXPECT_EQ(parse_language("sparql"), Language::sparql);
  EXPECT_FALSE(parse_language(""));
  EXPECT_FALSE(parse_language("cypher"));
  EXPECT_FALSE(parse_language("sparql "));
}

TEST(RequestRouter, ParsesFormBodiesAsCurlSendsThem) {
  const Parameters params =
      parse_form_urlencoded("cancelQuery&queryId=f43c%2D17b&text=a+b%26c&&empty=");
  const Parameters expected = {
      {"cancelQuery", ""}, {"queryId", "f43c-17b"}, {"text", "a b&c"}, {"empty", ""}};
  EXPECT_EQ(params, expected);
  EXPECT_TRUE(parse_form_urlencoded("").empty());
  EXPECT_EQ(parse_form_urlencoded("bad=%zz%4"), (Parameters{{"bad", "%zz%4"}}));
}

TEST(RequestRouter, NamesTheApis) {
  EXPECT_EQ(api_name(Api::rest), "rest");
  EXPECT_EQ(api_name(Api::legacy), "legacy");
}

}  // namespace
}  // namespace nw::sim
