#include "nw/sim/sim_service.h"

#include <memory>

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
      "cancel query_id=a silent=true api=rest found=true elapsed_ms=250 waited_ms=0",
      "cancel query_id=b silent=false api=legacy found=true elapsed_ms=250 waited_ms=0",
      "cancel query_id=c silent=false api=legacy found=true elapsed_ms=250 waited_ms=0",
      "cancel query_id=a silent=false api=rest found=false elapsed_ms=0 waited_ms=0",
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
  const SimResponse missing = send("GET", "/gremlin/status");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(object(missing)->getValue<std::string>("code"), "UnsupportedOperationException");
  EXPECT_EQ(send("PUT", "/opencypher/status/x").status, 405);
}

TEST(CancelLogLine, KeepsOneCancelOnOneLine) {
  CancelRecord record;
  record.query_id = "evil\nid";
  EXPECT_EQ(cancel_log_line(record),
            "cancel query_id=evil?id silent=false api=rest found=false elapsed_ms=0 waited_ms=0");
}

}  // namespace
}  // namespace nw::sim
