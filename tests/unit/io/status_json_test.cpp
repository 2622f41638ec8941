#include "nw/io/status_json.h"

#include "nw/core/neptune_error.h"

#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nw {
namespace {

std::string data(const std::string& name) {
  const std::string path = std::string(NW_TEST_DATA_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "id|text|elapsed|waited|cancelled" per query.
std::vector<std::string> summary(const StatusSnapshot& s) {
  std::vector<std::string> out;
  for (const auto& q : s.queries)
    out.push_back(q.id + "|" + q.text + "|" + std::to_string(q.elapsed_ms) + "|" + std::to_string(q.waited_ms) + "|" +
                  (q.cancelled ? "true" : "false"));
  return out;
}

using Lines = std::vector<std::string>;

const std::string kLongCypher =
    "MATCH (n1)-[:knows]->(n2), (n2)-[:knows]->(n3), (n3)-[:knows]->(n4), (n4)-[:knows]->(n5), "
    "(n5)-[:knows]->(n6), (n6)-[:knows]->(n7), (n7)-[:knows]->(n8), (n8)-[:knows]->(n9), "
    "(n9)-[:knows]->(n10) RETURN COUNT(n1);";

TEST(ParseStatusBody, ParsesEveryGoodBody) {
  struct Row {
    const char* name;
    std::string body;
    Language language;
    std::int64_t accepted, running;
    std::size_t skipped;
    Lines queries;
  } rows[] = {
      {"documented empty openCypher list", data("opencypher_list_empty.json"), Language::opencypher, 0, 0, 0, {}},
      {"documented Gremlin list", data("gremlin_list.json"), Language::gremlin, 9, 1, 0,
       {"fb34cd3e-f37c-4d12-9cf2-03bb741bf54f|g.V().out().count()|23|0|false"}},
      {"documented SPARQL list (no waited, has subqueries)", data("sparql_list.json"), Language::sparql, 9, 1, 0,
       {"fb34cd3e-\xE2\x80\xA6|SELECT ?s ?p ?o WHERE {?s ?p ?o}|29256|0|false"}},
      {"documented single-query body as a list entry", "{\"queries\":[" + data("opencypher_single_query.json") + "]}",
       Language::opencypher, 0, 0, 0, {"eadc6eea-698b-4a2f-8554-5270ab17ebee|" + kLongCypher + "|23463|0|false"}},
      {"unknown extra fields and 64-bit numbers", data("opencypher_list_extra_fields_64bit.json"),
       Language::opencypher, 3, 2, 0,
       {"11111111-0000-4000-8000-000000000001|MATCH (n) RETURN count(n)|3000000000|12|false",
        "11111111-0000-4000-8000-000000000002|MATCH (m) RETURN m|9223372036854775807|9007199254740993|true",
        "11111111-0000-4000-8000-000000000003|MATCH (q) RETURN q|0|4100|false"}},
      {"missing optional fields default", data("opencypher_list_missing_optional.json"), Language::opencypher, 0, 0, 0,
       {"22222222-0000-4000-8000-000000000001||0|0|false", "22222222-0000-4000-8000-000000000002|MATCH (n) RETURN n|0|0|false",
        "22222222-0000-4000-8000-000000000003||750|0|false", "22222222-0000-4000-8000-000000000004||0|40|false",
        "22222222-0000-4000-8000-000000000005|MATCH (c) RETURN c|0|0|false"}},
      {"entries without a usable queryId are skipped and counted", data("opencypher_list_entries_without_id.json"),
       Language::opencypher, 5, 5, 4, {"33333333-0000-4000-8000-000000000002|MATCH (b) RETURN b|10|0|false"}},
      {"compact body", R"({"acceptedQueryCount":1,"runningQueryCount":1,"queries":[{"queryId":"a","queryString":"q","queryEvalStats":{"waited":1,"elapsed":2,"cancelled":true}}]})",
       Language::opencypher, 1, 1, 0, {"a|q|2|1|true"}},
      {"whitespace everywhere", "\n\t{ \"queries\" :\n[ {\r\n\"queryId\" : \"a\" } ] }\n ", Language::opencypher, 0, 0, 0,
       {"a||0|0|false"}},
      {"cancelled as string True", R"({"queries":[{"queryId":"a","queryEvalStats":{"cancelled":"True"}}]})",
       Language::opencypher, 0, 0, 0, {"a||0|0|true"}},
      {"cancelled as string false", R"({"queries":[{"queryId":"a","queryEvalStats":{"cancelled":"false"}}]})",
       Language::opencypher, 0, 0, 0, {"a||0|0|false"}},
      {"no queries key", R"({"acceptedQueryCount":0,"runningQueryCount":0})", Language::opencypher, 0, 0, 0, {}},
      {"queries null", R"({"acceptedQueryCount":2,"queries":null})", Language::opencypher, 2, 0, 0, {}},
      {"empty object", "{}", Language::opencypher, 0, 0, 0, {}},
      {"null counts", R"({"acceptedQueryCount":null,"runningQueryCount":null,"queries":[]})", Language::opencypher, 0, 0, 0, {}},
      {"unicode escapes in text", R"({"queries":[{"queryId":"a","queryString":"caf\u00e9 \"x\"\n"}]})", Language::opencypher,
       0, 0, 0, {"a|caf\xC3\xA9 \"x\"\n|0|0|false"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto result = parse_status_body(row.body, row.language);
    if (!result.ok()) {
      ADD_FAILURE() << result.failure().describe();
      continue;
    }
    const StatusSnapshot& s = result.value();
    EXPECT_EQ(s.language, row.language);
    EXPECT_EQ(s.accepted_count, row.accepted);
    EXPECT_EQ(s.running_count, row.running);
    EXPECT_EQ(s.skipped_entries, row.skipped);
    EXPECT_EQ(summary(s), row.queries);
  }
}

// One thread's parser grows for large lists and gives its buffers back after them: every size,
// in any order, still parses to the same queries (and a bad body after a large one is refused).
TEST(ParseStatusBody, ListsOfChangingSizeParseAlikeOnOneThread) {
  const auto list_of = [](int queries) {
    std::string body = R"({"acceptedQueryCount":)" + std::to_string(queries) + R"(,"queries":[)";
    for (int i = 0; i < queries; ++i)
      body += std::string(i ? "," : "") + R"({"queryId":"q)" + std::to_string(i) +
              R"(","queryString":"MATCH (n) RETURN n","queryEvalStats":{"elapsed":)" + std::to_string(i) + "}}";
    return body + "]}";
  };
  for (const int queries : {1, 40000, 3, 40000, 200000, 2, 5000, 1}) {
    SCOPED_TRACE(queries);
    const std::string body = list_of(queries);
    const auto result = parse_status_body(body, Language::opencypher);
    ASSERT_TRUE(result.ok()) << result.failure().describe();
    ASSERT_EQ(result.value().queries.size(), static_cast<std::size_t>(queries));
    EXPECT_EQ(result.value().queries.back().id, "q" + std::to_string(queries - 1));
    EXPECT_EQ(result.value().queries.back().elapsed_ms, queries - 1);
    EXPECT_FALSE(parse_status_body(body.substr(0, body.size() - 2), Language::opencypher).ok());
  }
}

TEST(ParseStatusBody, DocumentedSingleQueryBodyIsNotAList) {
  const std::string body = data("opencypher_single_query.json");
  Poco::JSON::Parser parser;
  const auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(root->getValue<std::string>("queryId"), "eadc6eea-698b-4a2f-8554-5270ab17ebee");
  EXPECT_EQ(root->getValue<std::string>("queryString"), kLongCypher);
  EXPECT_EQ(root->getObject("queryEvalStats")->getValue<Poco::Int64>("elapsed"), 23463);
  const auto result = parse_status_body(body, Language::opencypher);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_TRUE(result.value().queries.empty());
  EXPECT_EQ(result.value().skipped_entries, 0u);
}

TEST(ParseStatusBody, EveryMalformedBodyIsABadResponse) {
  struct Row {
    const char* name;
    std::string body;
    std::string message;  // empty: any parser message after "status body: "
  } rows[] = {
      {"truncated", data("bad_truncated.json"), ""},
      {"negative elapsed", data("bad_negative_elapsed.json"), "status body: queries[0].queryEvalStats: 'elapsed' is negative"},
      {"elapsed as a string", data("bad_elapsed_string.json"),
       "status body: queries[0].queryEvalStats: 'elapsed' is not a whole number"},
      {"queries not an array", data("bad_queries_not_array.json"), "status body: 'queries' is not an array"},
      {"empty body", "", ""},
      {"whitespace only", "  \n", ""},
      {"plain text", "Invalid queryId (not a UUID): invalid-guid", ""},
      {"html from a proxy", "<html><body>502 Bad Gateway</body></html>", ""},
      {"trailing garbage", R"({"queries":[]} x)", ""},
      {"top-level array", "[]", "status body: not a JSON object"},
      {"top-level string", "\"ok\"", ""},
      {"top-level number", "200", ""},
      {"queries a string", R"({"queries":"none"})", "status body: 'queries' is not an array"},
      {"entry not an object", R"({"queries":[{"queryId":"a"},42]})", "status body: queries[1] is not an object"},
      {"entry null", R"({"queries":[null]})", "status body: queries[0] is not an object"},
      {"queryString a number", R"({"queries":[{"queryId":"a","queryString":7}]})",
       "status body: queries[0].queryString is not a string"},
      {"queryEvalStats an array", R"({"queries":[{"queryId":"a","queryEvalStats":[1]}]})",
       "status body: queries[0].queryEvalStats is not an object"},
      {"negative waited", R"({"queries":[{"queryId":"a","queryEvalStats":{"waited":-1}}]})",
       "status body: queries[0].queryEvalStats: 'waited' is negative"},
      {"fractional elapsed", R"({"queries":[{"queryId":"a","queryEvalStats":{"elapsed":1.5}}]})",
       "status body: queries[0].queryEvalStats: 'elapsed' is not a whole number"},
      {"exponent elapsed", R"({"queries":[{"queryId":"a","queryEvalStats":{"elapsed":1e3}}]})",
       "status body: queries[0].queryEvalStats: 'elapsed' is not a whole number"},
      {"boolean elapsed", R"({"queries":[{"queryId":"a","queryEvalStats":{"elapsed":true}}]})",
       "status body: queries[0].queryEvalStats: 'elapsed' is not a whole number"},
      {"elapsed beyond int64", R"({"queries":[{"queryId":"a","queryEvalStats":{"elapsed":18446744073709551615}}]})",
       "status body: queries[0].queryEvalStats: 'elapsed' is out of range"},
      {"cancelled a number", R"({"queries":[{"queryId":"a","queryEvalStats":{"cancelled":1}}]})",
       "status body: queries[0].queryEvalStats: 'cancelled' is not a boolean"},
      {"cancelled a word", R"({"queries":[{"queryId":"a","queryEvalStats":{"cancelled":"yes"}}]})",
       "status body: queries[0].queryEvalStats: 'cancelled' is not a boolean"},
      {"bad entry after good ones", R"({"queries":[{"queryId":"a"},{"queryId":"b","queryEvalStats":{"elapsed":-2}}]})",
       "status body: queries[1].queryEvalStats: 'elapsed' is negative"},
      {"negative count", R"({"acceptedQueryCount":-1,"queries":[]})", "status body: 'acceptedQueryCount' is negative"},
      {"count a string", R"({"runningQueryCount":"1","queries":[]})", "status body: 'runningQueryCount' is not a whole number"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto result = parse_status_body(row.body, Language::opencypher);
    if (result.ok()) {
      ADD_FAILURE() << "accepted a malformed body";
      continue;
    }
    const Failure& f = result.failure();
    EXPECT_EQ(f.kind, FailureKind::bad_response);
    EXPECT_EQ(f.http_status, 200);
    EXPECT_EQ(f.code, "");
    if (row.message.empty()) {
      EXPECT_EQ(f.message.rfind("status body: ", 0), 0u) << f.message;
      EXPECT_GT(f.message.size(), std::string("status body: ").size());
    } else {
      EXPECT_EQ(f.message, row.message);
    }
  }
}

TEST(ParseErrorBody, ReadsNeptuneErrorObjects) {
  struct Row {
    const char* name;
    std::string body;
    bool parsed;
    const char* code;
    const char* message;
    const char* request_id;
  } rows[] = {
      {"documented ReadOnlyViolationException", data("error_read_only_violation.json"), true, "ReadOnlyViolationException",
       "The request is rejected because it violates some read-only restriction, such as a designation of a replica as "
       "read-only.",
       "0dbcded3-a9a1-4a25-b419-828c46342e47"},
      {"documented CancelledByUserException", data("error_cancelled_by_user.json"), true, "CancelledByUserException",
       "Operation terminated (cancelled by user)", "4d5c4fae-aa30-41cf-9e1f-91e6b7dd6f47"},
      {"documented openCypher unknown queryId", data("error_opencypher_invalid_query_id.json"), true,
       "InvalidParameterException", "Supplied queryId ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid", ""},
      {"compact TooManyRequests", R"({"requestId":"r","code":"TooManyRequestsException","detailedMessage":"slow down"})",
       true, "TooManyRequestsException", "slow down", "r"},
      {"code only", R"({"code":"ThrottlingException"})", true, "ThrottlingException", "", ""},
      {"message not a string", R"({"code":"X","detailedMessage":5,"requestId":7})", true, "X", "", ""},
      {"extra fields", R"({"code":"X","detailedMessage":"m","requestId":"r","extra":{"a":[1]}})", true, "X", "m", "r"},
      {"documented SPARQL plain-text 400", data("sparql_invalid_query_id.txt"), false, "", "", ""},
      {"empty body", "", false, "", "", ""},
      {"html", "<html><body>403 Forbidden</body></html>", false, "", "", ""},
      {"truncated json", R"({"code":"Throttl)", false, "", "", ""},
      {"array", R"([{"code":"X"}])", false, "", "", ""},
      {"no code", R"({"message":"Forbidden"})", false, "", "", ""},
      {"code not a string", R"({"code":500,"detailedMessage":"x"})", false, "", "", ""},
      {"a status list is not an error", data("gremlin_list.json"), false, "", "", ""},
      {"documented SPARQL silent-cancel result", data("sparql_silent_cancel_result.json"), false, "", "", ""},
      {"documented cancel reply", data("opencypher_cancel_ok.json"), false, "", "", ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto e = parse_error_body(row.body);
    EXPECT_EQ(e.has_value(), row.parsed);
    if (!e || !row.parsed) continue;
    EXPECT_EQ(e->code, row.code);
    EXPECT_EQ(e->message, row.message);
    EXPECT_EQ(e->request_id, row.request_id);
  }
}

TEST(ParseErrorBody, DocumentedBodiesClassify) {
  struct Row {
    const char* name;
    std::string body;
    int status;
    bool is_cancel;
    FailureKind kind;
    bool retryable;
    const char* describe;
  } rows[] = {
      {"read-only violation", data("error_read_only_violation.json"), 400, false, FailureKind::neptune_error, false,
       "ReadOnlyViolationException (HTTP 400): The request is rejected because it violates some read-only "
       "restriction, such as a designation of a replica as read-only."},
      {"cancelled by user", data("error_cancelled_by_user.json"), 500, false, FailureKind::neptune_error, false,
       "CancelledByUserException (HTTP 500): Operation terminated (cancelled by user)"},
      {"unknown id on cancel: already ended", data("error_opencypher_invalid_query_id.json"), 400, true,
       FailureKind::query_not_found, false,
       "InvalidParameterException (HTTP 400): Supplied queryId ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid"},
      {"unknown id on status request", data("error_opencypher_invalid_query_id.json"), 400, false,
       FailureKind::neptune_error, false,
       "InvalidParameterException (HTTP 400): Supplied queryId ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid"},
      {"SPARQL plain-text 400 on cancel", data("sparql_invalid_query_id.txt"), 400, true, FailureKind::neptune_error,
       false, "error (HTTP 400)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto e = parse_error_body(row.body);
    const Failure f = classify_neptune_error(row.status, e ? e->code : "", e ? e->message : "", row.is_cancel);
    EXPECT_EQ(f.kind, row.kind);
    EXPECT_EQ(is_retryable(f), row.retryable);
    EXPECT_EQ(f.describe(), row.describe);
  }
}

TEST(ParseCancelReply, OnlyAnAcknowledgementCounts) {
  struct Row {
    const char* name;
    std::string body;
    std::string refusal;  // empty: acknowledged
  } rows[] = {
      {"documented openCypher reply", data("opencypher_cancel_ok.json"), ""},
      {"compact payload true", R"({"status":"200 OK","payload":true})", ""},
      {"gremlin: no payload", R"({"status":"200 OK"})", ""},
      {"payload false", R"({"status":"200 OK","payload":false})", "reply payload is false, not true"},
      {"pretty payload false", "{\n  \"status\" : \"200 OK\",\n  \"payload\" : false\n}",
       "reply payload is false, not true"},
      {"payload as a string", R"({"status":"200 OK","payload":"true"})", "reply payload is true, not true"},
      {"empty object", "{}", "reply has neither payload true nor status 200"},
      {"a status list", data("sparql_list.json"), "reply has neither payload true nor status 200"},
      {"array", "[]", "reply is not a JSON object"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto result = parse_cancel_reply(row.body);
    EXPECT_EQ(result.ok(), row.refusal.empty());
    if (result.ok()) continue;
    EXPECT_EQ(result.failure().kind, FailureKind::bad_response);
    EXPECT_EQ(result.failure().http_status, 200);
    EXPECT_EQ(result.failure().message, "cancel not acknowledged: " + row.refusal);
  }
}

TEST(ParseCancelReply, BodiesThatAreNotJsonAreRefused) {
  for (const std::string body : {"", "OK", "<html>proxy</html>", R"({"status":"200 OK","payl)"}) {
    SCOPED_TRACE(body);
    const auto result = parse_cancel_reply(body);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().kind, FailureKind::bad_response);
    EXPECT_EQ(result.failure().message.rfind("cancel not acknowledged: reply is not", 0), 0u)
        << result.failure().message;
  }
}

}  // namespace
}  // namespace nw
