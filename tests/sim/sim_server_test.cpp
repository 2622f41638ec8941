// The real HTTP server on 127.0.0.1, port 0, in this process: what the watchdog's client
// meets on the wire, over one keep-alive connection.
#include "nw/sim/sim_server.h"

#include <chrono>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "nw/sim/sim_service.h"

namespace nw::sim {
namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

class SimServerTest : public ::testing::Test {
 protected:
  SimServerTest()
      : service_(workload(), FaultPlan({*parse_fault_spec("429,count=1,on=status").value}, 1),
                 steady_ms),
        server_(service_, "127.0.0.1", 0),
        session_("127.0.0.1", server_.port()) {
    server_.start();
    session_.setKeepAlive(true);
  }

  ~SimServerTest() override {
    service_.shut_down();
    server_.stop();
  }

  static WorkloadConfig workload() {
    WorkloadConfig config;
    config.arrival_rate = 0;  // only staged queries: the test knows every id
    return config;
  }

  Reply send(const std::string& method, const std::string& target, const std::string& body = {},
             const std::string& content_type = {}) {
    Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!content_type.empty()) request.setContentType(content_type);
    if (!body.empty() || method == "POST")
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    session_.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session_.receiveResponse(response);
    Reply reply;
    reply.status = response.getStatus();
    reply.content_type = response.getContentType();
    std::ostringstream text;
    Poco::StreamCopier::copyStream(in, text);
    reply.body = text.str();
    return reply;
  }

  static Poco::JSON::Object::Ptr object(const Reply& r) {
    return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
  }

  SimService service_;
  SimServer server_;
  Poco::Net::HTTPClientSession session_;
};

TEST_F(SimServerTest, SpeaksNeptunesProtocolOverLoopback) {
  EXPECT_EQ(server_.url(), "http://127.0.0.1:" + std::to_string(server_.port()));
  EXPECT_TRUE(server_.is_loopback());

  for (const char* id : {"q-legacy", "q-rest", "q-stays"}) {
    const Reply r =
        send("POST", "/sim/queries", std::string(R"({"state":"running","queryId":")") + id + "\"}",
             "application/json");
    ASSERT_EQ(r.status, 201) << r.body;
  }

  // The one planned fault: the first status request is throttled.
  const Reply throttled = send("GET", "/opencypher/status");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.content_type, "application/json; charset=UTF-8");
  EXPECT_EQ(object(throttled)->getValue<std::string>("code"), "TooManyRequestsException");

  const Reply list = send("GET", "/opencypher/status?includeWaiting=true");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.content_type, "application/json; charset=UTF-8");
  EXPECT_NE(list.body.find("\"acceptedQueryCount\" : 3"), std::string::npos) << list.body;
  EXPECT_EQ(object(list)->getArray("queries")->size(), 3u);

  const Reply legacy = send("POST", "/openCypher/status", "cancelQuery&queryId=q-legacy",
                            "application/x-www-form-urlencoded");
  EXPECT_EQ(legacy.status, 200);
  EXPECT_EQ(object(legacy)->getValue<std::string>("status"), "200 OK");
  EXPECT_TRUE(object(legacy)->getValue<bool>("payload"));

  const Reply rest = send("DELETE", "/opencypher/status/q-rest?silent=true");
  EXPECT_EQ(rest.status, 200);
  EXPECT_EQ(object(rest)->getValue<std::string>("status"), "200 OK");

  const Reply unknown = send("DELETE", "/opencypher/status/ac7d5a03-00cf-4280-b464-edbcbf51ffce");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(object(unknown)->getValue<std::string>("code"), "InvalidParameterException");
  EXPECT_EQ(object(unknown)->getValue<std::string>("detailedMessage"),
            "Supplied queryId ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid");

  const Reply after = send("GET", "/opencypher/status");
  ASSERT_EQ(object(after)->getArray("queries")->size(), 1u);
  EXPECT_EQ(object(after)->getArray("queries")->getObject(0)->getValue<std::string>("queryId"),
            "q-stays");

  const Reply cancels = send("GET", "/sim/cancels");
  const auto log = Poco::JSON::Parser().parse(cancels.body).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ(log->getObject(0)->getValue<std::string>("queryId"), "q-legacy");
  EXPECT_EQ(log->getObject(0)->getValue<std::string>("api"), "legacy");
  EXPECT_FALSE(log->getObject(0)->getValue<bool>("silent"));
  EXPECT_EQ(log->getObject(1)->getValue<std::string>("queryId"), "q-rest");
  EXPECT_EQ(log->getObject(1)->getValue<std::string>("api"), "rest");
  EXPECT_TRUE(log->getObject(1)->getValue<bool>("silent"));
  EXPECT_TRUE(log->getObject(1)->getValue<bool>("found"));
  EXPECT_FALSE(log->getObject(2)->getValue<bool>("found"));
}

TEST_F(SimServerTest, UnknownPathIsA404WithAJsonBody) {
  const Reply r = send("GET", "/nothing/here");
  EXPECT_EQ(r.status, 404);
  EXPECT_NO_THROW(object(r));
}

}  // namespace
}  // namespace nw::sim
