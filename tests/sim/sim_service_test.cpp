#include "nw/sim/sim_service.h"

#include <memory>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

namespace nw::sim {
namespace {

// A service on a hand-driven clock with no synthetic workload: every query is staged.
class SimServiceTest : public ::testing::Test {
 protected:
  void make_service(std::vector<const char*> faults = {}) {
    WorkloadConfig config;
    config.arrival_rate = 0;
    std::vector<FaultSpec> specs;
    for (const char* f : faults) specs.push_back(*parse_fault_spec(f).value);
    service_ = std::make_unique<SimService>(
        config, FaultPlan(specs, 1), [this] { return now_ms_; },
        [this](const CancelRecord& r) { printed_.push_back(cancel_log_line(r)); });
  }

  // Synthetic arrivals for `languages` only.
  void make_busy_service(const std::vector<Language>& languages) {
    WorkloadConfig config;
    config.arrival_rate = 10;
    config.runtime_median_ms = 3'600'000;
    config.runtime_max_ms = 3'600'000;
    service_ =
        std::make_unique<SimService>(config, languages, FaultPlan(), [this] { return now_ms_; });
  }

  SimResponse send(std::string method, std::string target, std::string body = {},
                   std::string content_type = {}) {
    return service_->handle(
        SimRequest{std::move(method), std::move(target), std::move(content_type), std::move(body)});
  }

  void inject(const std::string& json) {
    const SimResponse r = send("POST", "/sim/queries", json, "application/json");
    ASSERT_EQ(r.status, 201) << r.body;
  }

  static Poco::JSON::Object::Ptr object(const SimResponse& r) {
    return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
  }

  std::int64_t now_ms_ = 1'000'000;
  std::vector<std::string> printed_;
  std::unique_ptr<SimService> service_;
};

TEST_F(SimServiceTest, ListsRunningQueriesAndWaitingOnesOnRequest) {
  make_service();
  inject(R"({"queryId":"r1","queryString":"MATCH (n) RETURN n","state":"running","elapsed":100})");
  inject(R"({"queryId":"w1","state":"waiting","waited":50})");
  now_ms_ += 1'000;

  const SimResponse running = send("GET", "/opencypher/status");
  EXPECT_EQ(running.status, 200);
  EXPECT_EQ(running.content_type, "application/json; charset=UTF-8");
  const auto list = object(running);
  EXPECT_EQ(list->getValue<int>("acceptedQueryCount"), 2);
  EXPECT_EQ(list->getValue<int>("runningQueryCount"), 1);
  ASSERT_EQ(list->getArray("queries")->size(), 1u);
  EXPECT_EQ(list->getArray("queries")
                ->getObject(0)
                ->getObject("queryEvalStats")
                ->getValue<int>("elapsed"),
            1'100);

  const auto all = object(send("POST", "/openCypher/status", "includeWaiting=true",
                               "application/x-www-form-urlencoded"));
  ASSERT_EQ(all->getArray("queries")->size(), 2u);
  EXPECT_EQ(
      all->getArray("queries")->getObject(1)->getObject("queryEvalStats")->getValue<int>("waited"),
      1'050);
}

TEST_F(SimServiceTest, ReportsOneQueryOrInvalidParameter) {
  make_service();
  inject(R"({"queryId":"r1","state":"running"})");
  EXPECT_EQ(object(send("GET", "/opencypher/status/r1"))->getValue<std::string>("queryId"), "r1");
  EXPECT_EQ(object(send("GET", "/openCypher/status?queryId=r1"))->getValue<std::string>("queryId"),
            "r1");

  const SimResponse unknown = send("GET", "/opencypher/status/nope");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(object(unknown)->getValue<std::string>("code"), "InvalidParameterException");
  EXPECT_EQ(object(unknown)->getValue<std::string>("detailedMessage"),
            "Supplied queryId nope is invalid");
}

TEST_F(SimServiceTest, CancelsInEveryFormAndRecordsThem) {
  make_service();
  for (const char* id : {"a", "b", "c"})
    inject(std::string(R"({"state":"running","queryId":")") + id + "\"}");
  now_ms_ += 250;

  const SimResponse rest = send("DELETE", "/opencypher/status/a?silent=true");
  EXPECT_EQ(rest.status, 200);
  EXPECT_EQ(rest.body, "{\n  \"status\" : \"200 OK\",\n  \"payload\" : true\n}");
  EXPECT_EQ(send("POST", "/openCypher/status", "cancelQuery&queryId=b",
                 "application/x-www-form-urlencoded")
                .status,
            200);
  EXPECT_EQ(send("DELETE", "/openCypher/status?queryId=c").status, 200);
  const SimResponse again = send("DELETE", "/opencypher/status/a");
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(object(again)->getValue<std::string>("code"), "InvalidParameterException");

  const std::vector<std::string> expected = {
      "cancel query_id=a silent=true api=rest found=true elapsed_ms=250 waited_ms=0 "
      "language=opencypher query=\"MATCH (n) RETURN n\"",
      "cancel query_id=b silent=false api=legacy found=true elapsed_ms=250 waited_ms=0 "
      "language=opencypher query=\"MATCH (n) RETURN n\"",
      "cancel query_id=c silent=false api=legacy found=true elapsed_ms=250 waited_ms=0 "
      "language=opencypher query=\"MATCH (n) RETURN n\"",
      "cancel query_id=a silent=false api=rest found=false elapsed_ms=0 waited_ms=0 "
      "language=opencypher query=\"\"",
  };
  EXPECT_EQ(printed_, expected);

  const SimResponse log = send("GET", "/sim/cancels");
  const auto cancels = Poco::JSON::Parser().parse(log.body).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(cancels->size(), 4u);
  EXPECT_EQ(cancels->getObject(0)->getValue<std::string>("api"), "rest");
  EXPECT_TRUE(cancels->getObject(0)->getValue<bool>("silent"));
  EXPECT_EQ(cancels->getObject(1)->getValue<std::string>("api"), "legacy");
  EXPECT_FALSE(cancels->getObject(3)->getValue<bool>("found"));
  EXPECT_EQ(cancels->getObject(2)->getValue<int>("elapsed"), 250);
  EXPECT_EQ(cancels->getObject(0)->getValue<std::string>("query"), "MATCH (n) RETURN n");
  EXPECT_EQ(cancels->getObject(3)->getValue<std::string>("query"), "") << "no query had that id";
}

TEST_F(SimServiceTest, CancelRecordsCarryTheFullTextOfTheCancelledQuery) {
  make_service();
  // Longer than Neptune's 1024-character cut, with a quote, a backslash and a newline.
  const std::string long_text = "MATCH (n) WHERE n.name = \"a\\b\"\n" + std::string(1100, 'x');
  Poco::JSON::Object body;
  body.set("queryId", "long");
  body.set("queryString", long_text);
  std::ostringstream text;
  body.stringify(text);
  inject(text.str());
  inject(R"({"queryId":"stubborn","queryString":"MATCH (m) RETURN m","ignoreCancel":true})");

  EXPECT_EQ(send("DELETE", "/opencypher/status/long").status, 200);
  EXPECT_EQ(send("DELETE", "/opencypher/status/stubborn").status, 200);
  const auto cancels = Poco::JSON::Parser()
                           .parse(send("GET", "/sim/cancels").body)
                           .extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(cancels->size(), 2u);
  EXPECT_EQ(cancels->getObject(0)->getValue<std::string>("query"), long_text);
  EXPECT_EQ(cancels->getObject(1)->getValue<std::string>("query"), "MATCH (m) RETURN m")
      << "an acknowledged but ignored cancel names its query too";

  ASSERT_EQ(printed_.size(), 2u);
  EXPECT_EQ(printed_[0].find('\n'), std::string::npos) << "one cancel, one line";
  const std::size_t at = printed_[0].find(" query=\"");
  ASSERT_NE(at, std::string::npos);
  const std::string quoted = printed_[0].substr(at + 7);
  const auto wrapped =
      Poco::JSON::Parser().parse("[" + quoted + "]").extract<Poco::JSON::Array::Ptr>();
  EXPECT_EQ(wrapped->getElement<std::string>(0), long_text)
      << "the text is a JSON string that runs to the end of the line";
}

TEST_F(SimServiceTest, CancelWithoutQueryIdIsAMissingParameter) {
  make_service();
  const SimResponse r = send("GET", "/openCypher/status?cancelQuery");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(object(r)->getValue<std::string>("code"), "MissingParameterException");
  EXPECT_TRUE(printed_.empty());
}

TEST_F(SimServiceTest, FaultsAnswerWithNeptunesErrorsButNeverOnTheControlApi) {
  make_service({"429,count=1,on=status", "500,on=cancel,count=1"});
  EXPECT_EQ(send("POST", "/sim/queries", R"({"queryId":"x"})").status, 201);
  const SimResponse throttled = send("GET", "/opencypher/status");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.content_type, "application/json; charset=UTF-8");
  EXPECT_EQ(object(throttled)->getValue<std::string>("code"), "TooManyRequestsException");
  EXPECT_EQ(object(throttled)->getValue<std::string>("requestId").size(), 36u);
  EXPECT_EQ(send("GET", "/opencypher/status").status, 200);

  const SimResponse cancel = send("DELETE", "/opencypher/status/x");
  EXPECT_EQ(cancel.status, 500);
  EXPECT_EQ(object(cancel)->getValue<std::string>("code"), "ThrottlingException");
  EXPECT_TRUE(printed_.empty()) << "a faulted cancel was never received";
  EXPECT_EQ(send("DELETE", "/opencypher/status/x").status, 200);

  const auto stats = object(send("GET", "/sim/stats"));
  EXPECT_EQ(stats->getValue<int>("statusRequests"), 2);
  EXPECT_EQ(stats->getValue<int>("cancelRequests"), 2);
  EXPECT_EQ(stats->getObject("faultsInjected")->getValue<int>("429"), 1);
  EXPECT_EQ(stats->getObject("faultsInjected")->getValue<int>("500"), 1);
  EXPECT_EQ(stats->getValue<int>("queriesCancelled"), 1);
  EXPECT_EQ(stats->getValue<int>("running"), 0);
}

TEST_F(SimServiceTest, InjectRejectsBadBodies) {
  make_service();
  for (const char* body : {"", "{", "[1]", R"({"elapsed_ms":5})", R"({"elapsed":"5"})",
                           R"({"elapsed":1.5})", R"({"state":"done"})", R"({"queryId":""})",
                           R"({"state":"waiting","elapsed":3})", R"({"runtime":0})"}) {
    SCOPED_TRACE(body);
    const SimResponse r = send("POST", "/sim/queries", body, "application/json");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(object(r)->getValue<std::string>("code"), "BadRequestException");
  }
}

TEST_F(SimServiceTest, InjectRepliesWithTheQuery) {
  make_service();
  const SimResponse r = send("POST", "/sim/queries", R"({"queryString":"RETURN 1","elapsed":42})");
  EXPECT_EQ(r.status, 201);
  const auto query = object(r);
  EXPECT_EQ(query->getValue<std::string>("queryString"), "RETURN 1");
  EXPECT_EQ(query->getValue<std::string>("queryId").size(), 36u);
  EXPECT_EQ(query->getObject("queryEvalStats")->getValue<int>("elapsed"), 42);
}

TEST_F(SimServiceTest, UnknownPathsAndMethods) {
  make_service();
  const SimResponse missing = send("GET", "/neo4j/status");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(object(missing)->getValue<std::string>("code"), "UnsupportedOperationException");
  EXPECT_EQ(send("PUT", "/opencypher/status/x").status, 405);
}

TEST_F(SimServiceTest, GremlinListsReportsAndCancelsWithoutSilent) {
  make_service();
  inject(R"j({"language":"gremlin","queryId":"g1","queryString":"g.V().count()","elapsed":10})j");
  inject(R"({"language":"gremlin","queryId":"g2","state":"waiting","waited":5})");
  inject(R"({"language":"gremlin","queryId":"g3"})");
  inject(R"({"queryId":"o1"})");
  now_ms_ += 100;

  const SimResponse running = send("GET", "/gremlin/status");
  ASSERT_EQ(running.status, 200);
  const auto list = object(running);
  EXPECT_EQ(list->getValue<int>("acceptedQueryCount"), 3) << "openCypher's o1 is not Gremlin's";
  EXPECT_EQ(list->getValue<int>("runningQueryCount"), 2);
  ASSERT_EQ(list->getArray("queries")->size(), 2u);
  const auto first = list->getArray("queries")->getObject(0);
  EXPECT_EQ(first->getValue<std::string>("queryString"), "g.V().count()");
  EXPECT_EQ(first->getObject("queryEvalStats")->getValue<int>("elapsed"), 110);
  EXPECT_EQ(first->getObject("queryEvalStats")->getValue<int>("waited"), 0);
  EXPECT_LT(running.body.find("queryEvalStats"), running.body.find("queryString"));
  EXPECT_EQ(object(send("POST", "/gremlin/status", "includeWaiting=true",
                        "application/x-www-form-urlencoded"))
                ->getArray("queries")
                ->size(),
            3u);
  EXPECT_EQ(object(send("GET", "/gremlin/status/g2"))->getValue<std::string>("queryId"), "g2");
  EXPECT_EQ(send("GET", "/gremlin/status/o1").status, 400) << "each language has its own queries";

  const SimResponse rest = send("DELETE", "/gremlin/status/g1?silent=true");
  EXPECT_EQ(rest.status, 200);
  EXPECT_EQ(rest.body, "{\n  \"status\" : \"200 OK\"\n}");
  const SimResponse legacy = send("POST", "/gremlin/status", "cancelQuery&queryId=g2&silent=true",
                                  "application/x-www-form-urlencoded");
  EXPECT_EQ(legacy.status, 200);
  EXPECT_EQ(legacy.body, "{\n  \"status\" : \"200 OK\"\n}");

  for (const char* target : {"/gremlin/status/some-guid-here", "/gremlin/status/g1",
                             "/gremlin/status?queryId=some-guid-here"}) {
    SCOPED_TRACE(target);
    const SimResponse unknown = send("GET", target);
    EXPECT_EQ(unknown.status, 400);
    EXPECT_EQ(object(unknown)->getValue<std::string>("code"), "InvalidParameterException");
  }
  const SimResponse gone = send("GET", "/gremlin/status?cancelQuery&queryId=some-guid-here");
  EXPECT_EQ(gone.status, 400);
  EXPECT_EQ(object(gone)->getValue<std::string>("code"), "InvalidParameterException");
  EXPECT_EQ(object(gone)->getValue<std::string>("detailedMessage"),
            "Supplied queryId some-guid-here is invalid");

  const std::vector<std::string> expected = {
      "cancel query_id=g1 silent=false api=rest found=true elapsed_ms=110 waited_ms=0 "
      "language=gremlin query=\"g.V().count()\"",
      "cancel query_id=g2 silent=false api=legacy found=true elapsed_ms=0 waited_ms=105 "
      "language=gremlin query=\"g.V().count()\"",
      "cancel query_id=some-guid-here silent=false api=legacy found=false elapsed_ms=0 "
      "waited_ms=0 language=gremlin query=\"\"",
  };
  EXPECT_EQ(printed_, expected);
  const auto cancels = Poco::JSON::Parser()
                           .parse(send("GET", "/sim/cancels").body)
                           .extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(cancels->size(), 3u);
  EXPECT_EQ(cancels->getObject(0)->getValue<std::string>("language"), "gremlin");
  EXPECT_FALSE(cancels->getObject(0)->getValue<bool>("silent"));
  EXPECT_EQ(object(send("GET", "/opencypher/status"))->getArray("queries")->size(), 1u);
}

TEST_F(SimServiceTest, SparqlListsEverythingAndCountsSinceTheStart) {
  make_service();
  const std::string running_id = "4d5c4fae-aa30-41cf-9e1f-91e6b7dd6f47";
  inject(R"({"language":"sparql","queryId":")" + running_id + R"(","elapsed":100})");
  inject(R"({"language":"sparql","queryId":"s-wait","state":"waiting","waited":40})");
  inject(R"({"language":"sparql","queryId":"s-short","runtime":50})");
  now_ms_ += 100;  // s-short has finished

  // No includeWaiting on SPARQL: one sent is ignored, the list shows both states.
  for (const SimResponse& r :
       {send("GET", "/sparql/status"), send("GET", "/sparql/status?includeWaiting=false"),
        send("POST", "/sparql/status", "", "application/x-www-form-urlencoded")}) {
    ASSERT_EQ(r.status, 200) << r.body;
    const auto list = object(r);
    EXPECT_EQ(list->getValue<int>("acceptedQueryCount"), 3) << "finished queries count too";
    EXPECT_EQ(list->getValue<int>("runningQueryCount"), 1);
    ASSERT_EQ(list->getArray("queries")->size(), 2u);
    const auto stats = list->getArray("queries")->getObject(0)->getObject("queryEvalStats");
    EXPECT_EQ(stats->getValue<int>("subqueries"), 0);
    EXPECT_EQ(stats->getValue<int>("elapsed"), 200);
    EXPECT_FALSE(stats->getValue<bool>("cancelled"));
    EXPECT_FALSE(stats->has("waited"));
  }

  const SimResponse one =
      send("POST", "/sparql/status", "queryId=" + running_id, "application/x-www-form-urlencoded");
  EXPECT_EQ(object(one)->getValue<std::string>("queryId"), running_id);
  const SimResponse unknown = send("GET", "/sparql/status?queryId=s-short");
  EXPECT_EQ(unknown.status, 200);
  EXPECT_EQ(unknown.body, "");

  // A cancel answers with the status list after it.
  const SimResponse cancelled =
      send("POST", "/sparql/status", "cancelQuery&queryId=" + running_id + "&silent=true",
           "application/x-www-form-urlencoded");
  ASSERT_EQ(cancelled.status, 200);
  const auto after = object(cancelled);
  EXPECT_EQ(after->getValue<int>("acceptedQueryCount"), 3);
  EXPECT_EQ(after->getValue<int>("runningQueryCount"), 0);
  ASSERT_EQ(after->getArray("queries")->size(), 1u);
  EXPECT_EQ(after->getArray("queries")->getObject(0)->getValue<std::string>("queryId"), "s-wait");

  const SimResponse unknown_uuid = send("GET", "/sparql/status?cancelQuery&queryId=" + running_id);
  EXPECT_EQ(unknown_uuid.status, 200);
  EXPECT_EQ(unknown_uuid.body, "");
  const SimResponse not_uuid = send("POST", "/sparql/status", "cancelQuery&queryId=invalid-guid",
                                    "application/x-www-form-urlencoded");
  EXPECT_EQ(not_uuid.status, 400);
  EXPECT_EQ(not_uuid.content_type, "text/plain; charset=UTF-8");
  EXPECT_EQ(not_uuid.body, "Invalid queryId (not a UUID): invalid-guid");
  // An injected query with an id that is no UUID can still be cancelled.
  EXPECT_EQ(send("POST", "/sparql/status", "cancelQuery&queryId=s-wait").status, 200);

  const std::vector<std::string> expected = {
      "cancel query_id=" + running_id +
          " silent=true api=legacy found=true elapsed_ms=200 waited_ms=0 language=sparql "
          "query=\"SELECT ?s ?p ?o WHERE { ?s ?p ?o }\"",
      "cancel query_id=" + running_id +
          " silent=false api=legacy found=false elapsed_ms=0 waited_ms=0 language=sparql "
          "query=\"\"",
      "cancel query_id=invalid-guid silent=false api=legacy found=false elapsed_ms=0 waited_ms=0 "
      "language=sparql query=\"\"",
      "cancel query_id=s-wait silent=false api=legacy found=true elapsed_ms=0 waited_ms=140 "
      "language=sparql query=\"SELECT ?s ?p ?o WHERE { ?s ?p ?o }\"",
  };
  EXPECT_EQ(printed_, expected);
  EXPECT_EQ(send("DELETE", "/sparql/status?queryId=s-wait").status, 405);
  EXPECT_EQ(send("GET", "/sparql/status/" + running_id).status, 404);
}

TEST_F(SimServiceTest, InjectTakesALanguage) {
  make_service();
  const SimResponse gremlin = send("POST", "/sim/queries", R"({"language":"gremlin"})");
  ASSERT_EQ(gremlin.status, 201) << gremlin.body;
  EXPECT_EQ(object(gremlin)->getValue<std::string>("queryString"), "g.V().count()");
  const SimResponse sparql = send("POST", "/sim/queries", R"({"language":"SPARQL","queryId":"x"})");
  ASSERT_EQ(sparql.status, 201) << sparql.body;
  EXPECT_FALSE(object(sparql)->getObject("queryEvalStats")->has("waited"));
  EXPECT_EQ(object(sparql)->getValue<std::string>("queryString"),
            "SELECT ?s ?p ?o WHERE { ?s ?p ?o }");
  // One id in two languages: two separate queries.
  EXPECT_EQ(send("POST", "/sim/queries", R"({"queryId":"x"})").status, 201);
  EXPECT_EQ(send("POST", "/sim/queries", R"({"queryId":"x","language":"opencypher"})").status, 400);
  for (const char* body : {R"({"language":"cypher"})", R"({"language":7})", R"({"language":""})"}) {
    SCOPED_TRACE(body);
    const SimResponse r = send("POST", "/sim/queries", body);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(object(r)->getValue<std::string>("code"), "BadRequestException");
  }
  EXPECT_EQ(object(send("GET", "/opencypher/status"))->getValue<int>("acceptedQueryCount"), 1);
  EXPECT_EQ(object(send("GET", "/gremlin/status"))->getValue<int>("acceptedQueryCount"), 1);
  EXPECT_EQ(object(send("GET", "/sparql/status"))->getValue<int>("acceptedQueryCount"), 1);
}

TEST_F(SimServiceTest, StatsBreakCountsDownByLanguage) {
  make_service({"429,count=1,on=cancel"});
  inject(R"({"language":"gremlin","queryId":"g"})");
  inject(R"({"language":"sparql","queryId":"s"})");
  send("GET", "/gremlin/status");
  send("GET", "/sparql/status");
  send("GET", "/sparql/status");
  EXPECT_EQ(send("DELETE", "/gremlin/status/g").status, 429);
  EXPECT_EQ(send("DELETE", "/gremlin/status/g").status, 200);
  const auto stats = object(send("GET", "/sim/stats"));
  EXPECT_EQ(stats->getValue<int>("statusRequests"), 3);
  EXPECT_EQ(stats->getValue<int>("cancelRequests"), 2);
  EXPECT_EQ(stats->getValue<int>("queriesAccepted"), 2);
  EXPECT_EQ(stats->getValue<int>("queriesCancelled"), 1);
  EXPECT_EQ(stats->getValue<int>("running"), 1);
  const auto by = stats->getObject("byLanguage");
  EXPECT_EQ(by->getObject("gremlin")->getValue<int>("statusRequests"), 1);
  EXPECT_EQ(by->getObject("gremlin")->getValue<int>("cancelRequests"), 2);
  EXPECT_EQ(by->getObject("gremlin")->getValue<int>("queriesCancelled"), 1);
  EXPECT_EQ(by->getObject("sparql")->getValue<int>("statusRequests"), 2);
  EXPECT_EQ(by->getObject("sparql")->getValue<int>("running"), 1);
  EXPECT_EQ(by->getObject("opencypher")->getValue<int>("queriesAccepted"), 0);
}

TEST_F(SimServiceTest, OnlyTheChosenLanguagesGetASyntheticWorkload) {
  make_busy_service({Language::gremlin, Language::sparql});
  now_ms_ += 5'000;
  EXPECT_EQ(object(send("GET", "/opencypher/status"))->getValue<int>("acceptedQueryCount"), 0);
  const auto gremlin = object(send("GET", "/gremlin/status?includeWaiting=true"));
  ASSERT_GT(gremlin->getArray("queries")->size(), 10u);
  EXPECT_EQ(gremlin->getValue<int>("runningQueryCount"), 8) << "--workers slots of its own";
  const std::string text =
      gremlin->getArray("queries")->getObject(0)->getValue<std::string>("queryString");
  EXPECT_EQ(text.rfind("g", 0), 0u) << text;
  const auto sparql = object(send("GET", "/sparql/status"));
  EXPECT_GT(sparql->getArray("queries")->size(), 10u);
  EXPECT_EQ(sparql->getValue<int>("runningQueryCount"), 8);

  make_busy_service({Language::opencypher});
  now_ms_ += 5'000;
  EXPECT_GT(object(send("GET", "/opencypher/status"))->getValue<int>("acceptedQueryCount"), 10);
  EXPECT_EQ(object(send("GET", "/gremlin/status"))->getValue<int>("acceptedQueryCount"), 0);
  EXPECT_EQ(object(send("GET", "/sparql/status"))->getValue<int>("acceptedQueryCount"), 0);
}

TEST(CancelLogLine, KeepsOneCancelOnOneLine) {
  CancelRecord record;
  record.query_id = "evil\nid";
  EXPECT_EQ(cancel_log_line(record),
            "cancel query_id=evil?id silent=false api=rest found=false elapsed_ms=0 waited_ms=0 "
            "language=opencypher query=\"\"");
  record.language = Language::sparql;
  EXPECT_NE(cancel_log_line(record).find(" language=sparql"), std::string::npos);
  record.query = "MATCH (n)\nRETURN \"n\"";
  EXPECT_EQ(cancel_log_line(record, 3),
            "cancel query_id=evil?id silent=false api=rest found=false elapsed_ms=0 waited_ms=0 "
            "language=sparql instance=3 query=\"MATCH (n)\\nRETURN \\\"n\\\"\"");
}

}  // namespace
}  // namespace nw::sim
