// The real Neptune client against a real HTTP server on loopback: what goes on the wire, and
// how every kind of answer Neptune (or the network) can give comes back.
#include "nw/io/neptune_client.h"

#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "nw/app/retry.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using std::chrono::milliseconds;
using test::ScriptedHttpServer;
using test::ScriptedResponse;

const std::string kListBody = R"({
  "acceptedQueryCount" : 2,
  "runningQueryCount" : 1,
  "queries" : [ {
    "queryId" : "eadc6eea-698b-4a2f-8554-5270ab17ebee",
    "queryString" : "MATCH (n) RETURN n",
    "queryEvalStats" : {
      "waited" : 0,
      "elapsed" : 23463,
      "cancelled" : false
    }
  }, {
    "queryId" : "f43ce17b-db01-4d37-a074-c76d1c26d7a9",
    "queryString" : "MATCH (m) RETURN m",
    "queryEvalStats" : {
      "waited" : 4100,
      "elapsed" : 0,
      "cancelled" : false
    }
  } ]
})";
const std::string kCancelOk = "{\n  \"status\" : \"200 OK\",\n  \"payload\" : true\n}";

std::string error_body(const std::string& code, const std::string& message) {
  return R"({"requestId":"0dbcded3-a9a1-4a25-b419-828c46342e47","code":")" + code +
         R"(","detailedMessage":")" + message + "\"}";
}

TEST(NeptuneClientRest, ListsWithIncludeWaitingAndParses) {
  ScriptedHttpServer server;
  server.set_fallback({200, kListBody});
  auto client = make_neptune_client(server.endpoint());
  auto result = client->list_queries();
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  ASSERT_EQ(result.value().queries.size(), 2u);
  EXPECT_EQ(result.value().queries[0].elapsed_ms, 23463);
  EXPECT_EQ(result.value().queries[1].waited_ms, 4100);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].uri, "/opencypher/status?includeWaiting=true");
  EXPECT_EQ(requests[0].host_header, "127.0.0.1:" + std::to_string(server.port()));
}

TEST(NeptuneClientRest, ListWithoutWaitingSendsNoParameter) {
  ScriptedHttpServer server;
  server.set_fallback({200, kListBody});
  auto endpoint = server.endpoint();
  endpoint.include_waiting = false;
  ASSERT_TRUE(make_neptune_client(endpoint)->list_queries().ok());
  EXPECT_EQ(server.requests().at(0).uri, "/opencypher/status");
}

TEST(NeptuneClientRest, CancelSendsDeleteWithSilentAndEncodedId) {
  ScriptedHttpServer server;
  server.set_fallback({200, kCancelOk});
  auto client = make_neptune_client(server.endpoint());
  EXPECT_TRUE(client->cancel_query("f43ce17b-db01-4d37-a074-c76d1c26d7a9", true).ok());
  EXPECT_TRUE(client->cancel_query("my id/with?odd&chars", false).ok());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "DELETE");
  EXPECT_EQ(requests[0].uri, "/opencypher/status/f43ce17b-db01-4d37-a074-c76d1c26d7a9?silent=true");
  EXPECT_EQ(requests[1].uri, "/opencypher/status/my%20id%2Fwith%3Fodd%26chars");
}

TEST(NeptuneClientLegacy, ListAndCancelUseTheServletForm) {
  ScriptedHttpServer server;
  server.enqueue({200, kListBody});
  server.enqueue({200, kCancelOk});
  auto client = make_neptune_client(server.endpoint(ApiForm::legacy));
  ASSERT_TRUE(client->list_queries().ok());
  ASSERT_TRUE(client->cancel_query("588af350-cfde-4222-bee6-b9cedc87180d", true).ok());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].uri, "/openCypher/status");
  EXPECT_EQ(requests[0].body, "includeWaiting=true");
  EXPECT_EQ(requests[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].body,
            "cancelQuery&queryId=588af350-cfde-4222-bee6-b9cedc87180d&silent=true");
}

TEST(NeptuneClientErrors, ClassifiesEveryKindOfAnswer) {
  struct Row {
    const char* name;
    ScriptedResponse response;
    bool is_cancel;
    FailureKind kind;
    int http_status;
    std::string code;
    bool retryable;
  };
  const std::vector<Row> rows = {
      {"429 TooManyRequests",
       {429, error_body("TooManyRequestsException", "Too many requests")},
       false,
       FailureKind::neptune_error,
       429,
       "TooManyRequestsException",
       true},
      {"408 ClientTimeout",
       {408, error_body("ClientTimeoutException", "timed out")},
       false,
       FailureKind::neptune_error,
       408,
       "ClientTimeoutException",
       true},
      {"500 Throttling",
       {500, error_body("ThrottlingException", "queue full")},
       false,
       FailureKind::neptune_error,
       500,
       "ThrottlingException",
       true},
      {"403 AccessDenied",
       {403, error_body("AccessDeniedException", "denied")},
       false,
       FailureKind::neptune_error,
       403,
       "AccessDeniedException",
       false},
      {"502 HTML from a proxy",
       {502, "<html>Bad Gateway</html>", "text/html"},
       false,
       FailureKind::neptune_error,
       502,
       "",
       false},
      {"429 without a body", {429, ""}, false, FailureKind::neptune_error, 429, "", true},
      {"200 truncated JSON",
       {200, kListBody.substr(0, 120)},
       false,
       FailureKind::bad_response,
       200,
       "",
       false},
      {"200 not JSON", {200, "OK", "text/plain"}, false, FailureKind::bad_response, 200, "", false},
      {"cancel of an ended query",
       {400, error_body("InvalidParameterException", "Supplied queryId ac7d5a03 is invalid")},
       true,
       FailureKind::query_not_found,
       400,
       "InvalidParameterException",
       false},
      {"cancel plain-text 400",
       {400, "Invalid queryId (not a UUID): x", "text/plain"},
       true,
       FailureKind::neptune_error,
       400,
       "",
       false},
      {"cancel payload false",
       {200, R"({"status":"200 OK","payload":false})"},
       true,
       FailureKind::bad_response,
       200,
       "",
       false},
      {"cancel answered by a proxy page",
       {200, "<html>ok</html>", "text/html"},
       true,
       FailureKind::bad_response,
       200,
       "",
       false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    ScriptedHttpServer server;
    server.set_fallback(row.response);
    auto client = make_neptune_client(server.endpoint());
    const Failure f = row.is_cancel ? client->cancel_query("q1", true).failure()
                                    : client->list_queries().failure();
    EXPECT_EQ(f.kind, row.kind) << f.describe();
    EXPECT_EQ(f.http_status, row.http_status);
    EXPECT_EQ(f.code, row.code);
    EXPECT_EQ(is_retryable(f), row.retryable);
  }
}

TEST(NeptuneClientErrors, TruncatedTransferIsATransportFailure) {
  ScriptedHttpServer server;
  ScriptedResponse cut{200, kListBody.substr(0, 50)};
  cut.announced_length = kListBody.size();
  server.set_fallback(cut);
  const auto result = make_neptune_client(server.endpoint())->list_queries();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().kind, FailureKind::transport) << result.failure().describe();
  EXPECT_TRUE(is_retryable(result.failure()));
}

TEST(NeptuneClientErrors, BodyOverMaxResponseBytesIsRefusedAndTheNextRequestWorks) {
  ScriptedHttpServer server;
  auto endpoint = server.endpoint();
  endpoint.max_response_bytes = 64u << 10;
  // A valid status body just over the limit: refused as a whole, never half-parsed.
  std::string big = R"({"acceptedQueryCount":0,"runningQueryCount":0,"queries":[)";
  while (big.size() <= endpoint.max_response_bytes)
    big +=
        R"({"queryId":"q","queryString":"MATCH (n) RETURN n","queryEvalStats":{"waited":0,"elapsed":1,"cancelled":false}},)";
  big +=
      R"({"queryId":"last","queryString":"","queryEvalStats":{"waited":0,"elapsed":1,"cancelled":false}}]})";
  server.enqueue({200, big});
  server.set_fallback({200, kListBody});
  auto client = make_neptune_client(endpoint);
  const auto refused = client->list_queries();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.failure().kind, FailureKind::bad_response) << refused.failure().describe();
  EXPECT_NE(refused.failure().describe().find("exceeds the limit of 65536"), std::string::npos)
      << refused.failure().describe();
  const auto next = client->list_queries();
  ASSERT_TRUE(next.ok()) << next.failure().describe();
  EXPECT_EQ(next.value().queries.size(), 2u);
}

TEST(NeptuneClientErrors, AStatusListLabelledAsAWebPageIsRefused) {
  for (const char* type : {"text/html", "text/html; charset=UTF-8", "Application/XHTML+XML"}) {
    SCOPED_TRACE(type);
    ScriptedHttpServer server;
    ScriptedResponse page{200, kListBody};
    page.content_type = type;
    server.enqueue(page);
    const auto result = make_neptune_client(server.endpoint())->list_queries();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().kind, FailureKind::bad_response) << result.failure().describe();
  }
  // Neptune's own labels, and none at all, are read as JSON.
  for (const char* type : {"application/json; charset=UTF-8", "application/x-amz-json-1.0", ""}) {
    SCOPED_TRACE(type);
    ScriptedHttpServer server;
    ScriptedResponse reply{200, kListBody};
    reply.content_type = type;
    server.enqueue(reply);
    EXPECT_TRUE(make_neptune_client(server.endpoint())->list_queries().ok());
  }
}

TEST(NeptuneClientErrors, ServerSlowerThanRequestTimeoutIsATimeout) {
  ScriptedHttpServer server;
  ScriptedResponse slow{200, kListBody};
  slow.delay = milliseconds(3000);
  server.set_fallback(slow);
  const auto result =
      make_neptune_client(server.endpoint(ApiForm::rest, milliseconds(300)))->list_queries();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().kind, FailureKind::timeout) << result.failure().describe();
}

TEST(NeptuneClientErrors, RefusedConnectionIsATransportFailure) {
  EndpointConfig endpoint;
  {
    ScriptedHttpServer server;
    endpoint = server.endpoint();
  }  // the port is closed now
  const auto result = make_neptune_client(endpoint)->list_queries();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.failure().kind, FailureKind::transport);
}

TEST(NeptuneClientRetry, TooManyRequestsThenSuccess) {
  ScriptedHttpServer server;
  server.enqueue({429, error_body("TooManyRequestsException", "Too many requests")});
  server.enqueue({408, error_body("ClientTimeoutException", "timed out")});
  server.set_fallback({200, kListBody});
  auto client = make_neptune_client(server.endpoint());
  StopToken stop;
  RetrySettings retry{5, milliseconds(1), milliseconds(5)};
  int observed = 0;
  auto polled = call_with_retries<StatusSnapshot>([&] { return client->list_queries(); }, retry,
                                                  stop, [] { return 0.5; },
                                                  [&](const Failure&, int, Millis) { ++observed; });
  ASSERT_TRUE(polled.result.ok());
  EXPECT_EQ(polled.attempts, 3);
  EXPECT_EQ(observed, 2);
  EXPECT_EQ(polled.result.value().queries.size(), 2u);
}

TEST(NeptuneClientRetry, NonRetryableErrorIsTriedOnce) {
  ScriptedHttpServer server;
  server.set_fallback({400, error_body("BadRequestException", "no")});
  auto client = make_neptune_client(server.endpoint());
  StopToken stop;
  auto polled = call_with_retries<StatusSnapshot>(
      [&] { return client->list_queries(); }, RetrySettings{5, milliseconds(1), milliseconds(5)},
      stop, [] { return 0.5; });
  EXPECT_FALSE(polled.result.ok());
  EXPECT_EQ(polled.attempts, 1);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(NeptuneClientConnections, KeepsOneConnectionAlive) {
  ScriptedHttpServer server;
  server.set_fallback({200, kListBody});
  auto client = make_neptune_client(server.endpoint());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->list_queries().ok());
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connections(), 1);
}

TEST(NeptuneClientConnections, ReconnectsWhenTheServerClosedAnIdleConnection) {
  ScriptedHttpServer server(milliseconds(100));
  server.set_fallback({200, kListBody});
  auto client = make_neptune_client(server.endpoint());
  ASSERT_TRUE(client->list_queries().ok());
  std::this_thread::sleep_for(milliseconds(400));  // let the server drop the idle connection
  const auto second = client->list_queries();
  EXPECT_TRUE(second.ok()) << second.failure().describe();
  EXPECT_EQ(server.connections(), 2);
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

using test::ScriptedHttpServer;

TEST(NeptuneClientGremlin, RestAndLegacyFormsWithoutSilent) {
  ScriptedHttpServer server;
  server.enqueue(
      {200,
       R"j({"acceptedQueryCount":1,"runningQueryCount":1,"queries":[{"queryId":"g1",)j"
       R"j("queryEvalStats":{"waited":0,"elapsed":23,"cancelled":false},"queryString":"g.V().count()"}]})j"});
  server.enqueue({200, "{\n  \"status\" : \"200 OK\"\n}"});
  server.enqueue({200, R"({"status":"200 OK"})"});
  auto rest = make_neptune_client(server.endpoint(), Language::gremlin);
  const auto listed = rest->list_queries();
  ASSERT_TRUE(listed.ok()) << listed.failure().describe();
  EXPECT_EQ(listed.value().language, Language::gremlin);
  EXPECT_EQ(listed.value().queries.at(0).text, "g.V().count()");
  EXPECT_TRUE(rest->cancel_query("g1", true).ok());
  EXPECT_TRUE(make_neptune_client(server.endpoint(ApiForm::legacy), Language::gremlin)
                  ->cancel_query("g2", true)
                  .ok());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].uri, "/gremlin/status?includeWaiting=true");
  EXPECT_EQ(requests[1].method, "DELETE");
  EXPECT_EQ(requests[1].uri, "/gremlin/status/g1");  // Gremlin's cancel has no silent
  EXPECT_EQ(requests[2].uri, "/gremlin/status");
  EXPECT_EQ(requests[2].body, "cancelQuery&queryId=g2");
}

TEST(NeptuneClientSparql, LegacyServletOnlyAndItsCancelReplies) {
  ScriptedHttpServer server;
  const std::string list =
      R"({"acceptedQueryCount":9,"runningQueryCount":1,"queries":[{"queryId":"s1",)"
      R"("queryEvalStats":{"subqueries":0,"elapsed":29256,"cancelled":false},)"
      R"("queryString":"SELECT ?s ?p ?o WHERE {?s ?p ?o}"}]})";
  server.enqueue({200, list});
  server.enqueue({200, list});  // cancel: the status list
  server.enqueue({200, ""});    // unknown id: empty 200
  server.enqueue({400, "Invalid queryId (not a UUID): nope", "text/plain"});  // unusable id
  auto client =
      make_neptune_client(server.endpoint(ApiForm::rest), Language::sparql);  // rest falls back
  const auto listed = client->list_queries();
  ASSERT_TRUE(listed.ok()) << listed.failure().describe();
  EXPECT_EQ(listed.value().queries.at(0).elapsed_ms, 29256);
  EXPECT_EQ(listed.value().queries.at(0).waited_ms, 0);
  EXPECT_TRUE(client->cancel_query("s1", true).ok());
  EXPECT_EQ(client->cancel_query("s2", true).failure().kind, FailureKind::query_not_found);
  EXPECT_EQ(client->cancel_query("nope", false).failure().kind, FailureKind::query_not_found);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].uri, "/sparql/status");
  EXPECT_EQ(requests[0].body, "");  // SPARQL has no includeWaiting
  EXPECT_EQ(requests[1].body, "cancelQuery&queryId=s1&silent=true");
  EXPECT_EQ(requests[3].body, "cancelQuery&queryId=nope");
}

// One query's status by id, in each language's and API form's own request, and every answer
// that is not that query's status refused or read as "it ended".
TEST(NeptuneClientGetQuery, AsksByIdInEachFormAndReadsOnlyThatQuerysStatus) {
  const std::string one = R"({"queryId":"q 1","queryString":"MATCH (n) RETURN n",)"
                          R"("queryEvalStats":{"waited":3,"elapsed":1203,"cancelled":false}})";
  const std::string invalid =
      R"({"requestId":"r","code":"InvalidParameterException","detailedMessage":"Supplied queryId q 1 is invalid"})";
  struct Row {
    const char* name;
    ApiForm api;
    Language language;
    test::ScriptedResponse answer;
    const char* method;
    const char* uri;
    const char* body;
    std::optional<FailureKind> failure;  // none: the query's status, read
  } rows[] = {
      {"openCypher REST",
       ApiForm::rest,
       Language::opencypher,
       {200, one},
       "GET",
       "/opencypher/status/q%201",
       "",
       {}},
      {"openCypher servlet",
       ApiForm::legacy,
       Language::opencypher,
       {200, one},
       "POST",
       "/openCypher/status",
       "queryId=q%201",
       {}},
      {"Gremlin REST",
       ApiForm::rest,
       Language::gremlin,
       {200, one},
       "GET",
       "/gremlin/status/q%201",
       "",
       {}},
      {"SPARQL (servlet only)",
       ApiForm::rest,
       Language::sparql,
       {200, one},
       "POST",
       "/sparql/status",
       "queryId=q%201",
       {}},
      {"unknown id: ended",
       ApiForm::rest,
       Language::opencypher,
       {400, invalid},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::query_not_found},
      {"SPARQL's empty 200: ended",
       ApiForm::rest,
       Language::sparql,
       {200, ""},
       "POST",
       "/sparql/status",
       "queryId=q%201",
       FailureKind::query_not_found},
      {"an empty 200 elsewhere is no answer",
       ApiForm::rest,
       Language::opencypher,
       {200, ""},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::bad_response},
      {"another query's status",
       ApiForm::rest,
       Language::opencypher,
       {200, R"({"queryId":"q 2","queryEvalStats":{"elapsed":5}})"},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::bad_response},
      {"a status list showing the query",
       ApiForm::rest,
       Language::sparql,
       {200,
        R"({"acceptedQueryCount":2,"queries":[{"queryId":"x","queryEvalStats":{"elapsed":7}},)" +
            one + "]}"},
       "POST",
       "/sparql/status",
       "queryId=q%201",
       {}},
      {"a status list without it: ended",
       ApiForm::rest,
       Language::opencypher,
       {200, kListBody},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::query_not_found},
      {"a list showing it twice",
       ApiForm::rest,
       Language::opencypher,
       {200, R"({"queries":[)" + one + "," + one + "]}"},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::bad_response},
      {"a broken body that wrapping would mend",
       ApiForm::rest,
       Language::opencypher,
       {200, R"({"queryId":"q 1","queryEvalStats":{"elapsed":99999}}],"x":[)"},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::bad_response},
      {"a broken body that wrapping would turn into another list",
       ApiForm::rest,
       Language::opencypher,
       {200,
        R"({"queryId":"q 2"}],"queries":[{"queryId":"q 1","queryEvalStats":{"elapsed":99999}})"},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::bad_response},
      {"not an object",
       ApiForm::rest,
       Language::opencypher,
       {200, "[1]"},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::bad_response},
      {"two objects are not one",
       ApiForm::rest,
       Language::opencypher,
       {200, one + "," + one},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::bad_response},
      {"a web page",
       ApiForm::rest,
       Language::opencypher,
       {200, one, "text/html"},
       "GET",
       "/opencypher/status/q%201",
       "",
       FailureKind::bad_response},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    ScriptedHttpServer server;
    server.set_fallback(row.answer);
    const auto got = make_neptune_client(server.endpoint(row.api), row.language)->get_query("q 1");
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, row.method);
    EXPECT_EQ(requests[0].uri, row.uri);
    EXPECT_EQ(requests[0].body, row.body);
    if (row.failure) {
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.failure().kind, *row.failure) << got.failure().describe();
      continue;
    }
    ASSERT_TRUE(got.ok()) << got.failure().describe();
    EXPECT_EQ(got.value().id, "q 1");
    EXPECT_EQ(got.value().text, "MATCH (n) RETURN n");
    EXPECT_EQ(got.value().elapsed_ms, 1203);
    EXPECT_EQ(got.value().waited_ms, 3);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// connect_to: the request goes to the mapped loopback address, but the Host header (and so
// a signature) names the real instance and its port.
TEST(NeptuneClientConnectTo, DialsTheMappedAddressAndKeepsTheRealName) {
  test::ScriptedHttpServer server;
  server.enqueue(test::ScriptedResponse{
      200, R"({"acceptedQueryCount":0,"runningQueryCount":0,"queries":[]})"});
  EndpointConfig endpoint = server.endpoint();
  endpoint.url.host = "prod-graph-2.cxmpl0example.us-east-1.neptune.amazonaws.com";
  endpoint.url.port = 8182;
  std::string error;
  endpoint.connect_to = *parse_connect_to(
      "*.neptune.amazonaws.com:8182=127.0.0.1:" + std::to_string(server.port()), error);
  auto client = make_neptune_client(endpoint);
  const auto listed = client->list_queries();
  ASSERT_TRUE(listed) << listed.failure().describe();
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].host_header,
            "prod-graph-2.cxmpl0example.us-east-1.neptune.amazonaws.com:8182");
}

}  // namespace
}  // namespace nw
