// The real HTTP server on 127.0.0.1, port 0, in this process: what the watchdog's client
// meets on the wire, over one keep-alive connection.
#include "nw/sim/sim_server.h"

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <gtest/gtest.h>

#include "nw/sim/seeded_random.h"
#include "nw/sim/sim_app.h"
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

Reply exchange(Poco::Net::HTTPClientSession& session, const std::string& method,
               const std::string& target, const std::string& body = {},
               const std::string& content_type = {}) {
  Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!content_type.empty()) request.setContentType(content_type);
  if (!body.empty() || method == "POST")
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = response.getStatus();
  reply.content_type = response.getContentType();
  std::ostringstream text;
  Poco::StreamCopier::copyStream(in, text);
  reply.body = text.str();
  return reply;
}

Poco::JSON::Object::Ptr parse_object(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr parse_array(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
}

// This process's thread count, from /proc.
int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

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
    return exchange(session_, method, target, body, content_type);
  }

  static Poco::JSON::Object::Ptr object(const Reply& r) { return parse_object(r.body); }

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

TEST_F(SimServerTest, CancelsGremlinOverRestAndSparqlOverTheLegacyServlet) {
  const std::string sparql_id = "4d5c4fae-aa30-41cf-9e1f-91e6b7dd6f47";
  ASSERT_EQ(
      send("POST", "/sim/queries", R"({"language":"gremlin","queryId":"g-1"})", "application/json")
          .status,
      201);
  ASSERT_EQ(send("POST", "/sim/queries",
                 R"({"language":"sparql","queryId":")" + sparql_id + R"("})", "application/json")
                .status,
            201);
  ASSERT_EQ(
      send("POST", "/sim/queries", R"({"language":"sparql","state":"waiting"})", "application/json")
          .status,
      201);

  const Reply gremlin = send("DELETE", "/gremlin/status/g-1?silent=true");
  EXPECT_EQ(gremlin.status, 200);
  EXPECT_EQ(gremlin.content_type, "application/json; charset=UTF-8");
  EXPECT_EQ(gremlin.body, "{\n  \"status\" : \"200 OK\"\n}");
  EXPECT_FALSE(object(gremlin)->has("payload"));

  // curl https://…/sparql/status -d "cancelQuery" -d "queryId=…" -d "silent=false"
  const Reply sparql =
      send("POST", "/sparql/status", "cancelQuery&queryId=" + sparql_id + "&silent=false",
           "application/x-www-form-urlencoded");
  EXPECT_EQ(sparql.status, 200);
  const auto list = object(sparql);
  EXPECT_EQ(list->getValue<int>("acceptedQueryCount"), 2);
  EXPECT_EQ(list->getValue<int>("runningQueryCount"), 0);
  ASSERT_EQ(list->getArray("queries")->size(), 1u) << "the waiting query is listed";

  const Reply again = send("POST", "/sparql/status", "cancelQuery&queryId=" + sparql_id,
                           "application/x-www-form-urlencoded");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, "");
  const Reply invalid = send("POST", "/sparql/status", "cancelQuery&queryId=invalid-guid",
                             "application/x-www-form-urlencoded");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.content_type, "text/plain; charset=UTF-8");
  EXPECT_EQ(invalid.body, "Invalid queryId (not a UUID): invalid-guid");
  const Reply gone = send("DELETE", "/gremlin/status/g-1");
  EXPECT_EQ(gone.status, 400);
  EXPECT_EQ(object(gone)->getValue<std::string>("detailedMessage"),
            "Supplied queryId g-1 is invalid");

  const auto log = parse_array(send("GET", "/sim/cancels").body);
  ASSERT_EQ(log->size(), 5u);
  EXPECT_EQ(log->getObject(0)->getValue<std::string>("language"), "gremlin");
  EXPECT_EQ(log->getObject(0)->getValue<std::string>("api"), "rest");
  EXPECT_FALSE(log->getObject(0)->getValue<bool>("silent"));
  EXPECT_EQ(log->getObject(1)->getValue<std::string>("language"), "sparql");
  EXPECT_EQ(log->getObject(1)->getValue<std::string>("api"), "legacy");
  EXPECT_TRUE(log->getObject(1)->getValue<bool>("found"));
  EXPECT_FALSE(log->getObject(2)->getValue<bool>("found"));
  EXPECT_FALSE(log->getObject(3)->getValue<bool>("found"));
  EXPECT_EQ(log->getObject(4)->getValue<std::string>("language"), "gremlin");
  EXPECT_FALSE(log->getObject(4)->getValue<bool>("found"));
}

TEST_F(SimServerTest, UnknownPathIsA404WithAJsonBody) {
  const Reply r = send("GET", "/nothing/here");
  EXPECT_EQ(r.status, 404);
  EXPECT_NO_THROW(object(r));
}

// Instances on one shared pool, each on its own port 0: independent in every respect.
TEST(SimServers, TwoInstancesOnPortZeroAreIndependent) {
  WorkloadConfig config;
  config.arrival_rate = 0;
  std::vector<std::unique_ptr<SimService>> services;
  for (std::uint64_t i = 0; i < 2; ++i) {
    config.seed = instance_seed(11, i);
    services.push_back(std::make_unique<SimService>(
        config, std::vector<Language>{Language::opencypher},
        FaultPlan({*parse_fault_spec("429,count=1,on=cancel").value}, config.seed), steady_ms));
  }
  const std::unique_ptr<Poco::ThreadPool> pool = make_shared_server_pool(2);
  std::vector<std::unique_ptr<SimServer>> servers;
  for (const auto& service : services)
    servers.push_back(std::make_unique<SimServer>(*service, "127.0.0.1", 0, *pool));
  for (const auto& server : servers) server->start();
  ASSERT_NE(servers[0]->port(), 0);
  ASSERT_NE(servers[1]->port(), 0);
  ASSERT_NE(servers[0]->port(), servers[1]->port());

  Poco::Net::HTTPClientSession a("127.0.0.1", servers[0]->port());
  Poco::Net::HTTPClientSession b("127.0.0.1", servers[1]->port());
  a.setKeepAlive(true);
  b.setKeepAlive(true);
  ASSERT_EQ(exchange(a, "POST", "/sim/queries", R"({"queryId":"on-a"})", "application/json").status,
            201);
  ASSERT_EQ(exchange(b, "POST", "/sim/queries", R"({"language":"gremlin","queryId":"on-b"})",
                     "application/json")
                .status,
            201);
  EXPECT_EQ(
      parse_object(exchange(a, "GET", "/opencypher/status").body)->getArray("queries")->size(), 1u);
  EXPECT_EQ(
      parse_object(exchange(b, "GET", "/opencypher/status").body)->getArray("queries")->size(), 0u);

  // Each instance has its own fault plan: the first cancel on each is throttled.
  EXPECT_EQ(exchange(a, "DELETE", "/opencypher/status/on-a").status, 429);
  EXPECT_EQ(exchange(b, "DELETE", "/gremlin/status/on-b").status, 429);
  EXPECT_EQ(exchange(a, "DELETE", "/opencypher/status/on-a").status, 200);
  EXPECT_EQ(exchange(b, "DELETE", "/opencypher/status/on-a").status, 400) << "not b's query";
  EXPECT_EQ(exchange(b, "DELETE", "/gremlin/status/on-b").status, 200);

  const auto log_a = parse_array(exchange(a, "GET", "/sim/cancels").body);
  const auto log_b = parse_array(exchange(b, "GET", "/sim/cancels").body);
  ASSERT_EQ(log_a->size(), 1u);
  EXPECT_EQ(log_a->getObject(0)->getValue<std::string>("queryId"), "on-a");
  ASSERT_EQ(log_b->size(), 2u);
  EXPECT_EQ(log_b->getObject(1)->getValue<std::string>("language"), "gremlin");

  for (const auto& service : services) service->shut_down();
  stop_servers(servers);
  pool->joinAll();
}

TEST(SimServers, AHundredInstancesShareOnePoolWithModestThreads) {
  constexpr int kInstances = 100;
  const int threads_before = thread_count();
  WorkloadConfig config;
  config.arrival_rate = 1;
  std::vector<std::unique_ptr<SimService>> services;
  for (int i = 0; i < kInstances; ++i) {
    config.seed = instance_seed(1, static_cast<std::uint64_t>(i));
    services.push_back(std::make_unique<SimService>(
        config, std::vector<Language>{Language::opencypher, Language::gremlin, Language::sparql},
        FaultPlan(), steady_ms));
  }
  const std::unique_ptr<Poco::ThreadPool> pool = make_shared_server_pool(kInstances);
  std::vector<std::unique_ptr<SimServer>> servers;
  for (const auto& service : services)
    servers.push_back(std::make_unique<SimServer>(*service, "127.0.0.1", 0, *pool));
  for (const auto& server : servers) server->start();

  // One keep-alive connection per instance, all open at once, as a watchdog holds them.
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> sessions;
  for (const auto& server : servers) {
    sessions.push_back(std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", server->port()));
    sessions.back()->setKeepAlive(true);
    for (const char* path : {"/opencypher/status", "/gremlin/status", "/sparql/status"}) {
      const Reply r = exchange(*sessions.back(), "GET", path);
      ASSERT_EQ(r.status, 200) << path << " on " << server->url();
      EXPECT_NO_THROW(parse_object(r.body));
    }
  }
  // An acceptor per server, a handler per open connection, and little else.
  const int threads = thread_count() - threads_before;
  EXPECT_LE(threads, 2 * kInstances + 10) << threads << " threads";

  sessions.clear();
  for (const auto& service : services) service->shut_down();
  stop_servers(servers);
  pool->joinAll();
}

// The program itself: one line per instance, in order, then "ready".
TEST(SimApp, PrintsOneListeningLinePerInstanceThenReady) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_neptune_sim(
      {"--listen", "127.0.0.1:0", "--instances", "3", "--duration", "200ms", "--arrival-rate", "0"},
      out, err);
  EXPECT_EQ(code, 0) << err.str();
  std::istringstream lines(out.str());
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_EQ(got.size(), 4u) << out.str();
  std::vector<std::string> ports;
  const std::string prefix = "neptune-sim: listening on http://127.0.0.1:";
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(got[static_cast<std::size_t>(i)].rfind(prefix, 0), 0u)
        << got[static_cast<std::size_t>(i)];
    ports.push_back(got[static_cast<std::size_t>(i)].substr(prefix.size()));
    EXPECT_NE(ports.back(), "0");
  }
  EXPECT_NE(ports[0], ports[1]);
  EXPECT_NE(ports[1], ports[2]);
  EXPECT_EQ(got[3], "neptune-sim: ready");
}

// With --cluster: the instances' lines as before (scripts collect them by "listening on"),
// then the management API's, then "ready".
TEST(SimApp, PrintsTheManagementApiBeforeReady) {
  std::ostringstream out;
  std::ostringstream err;
  const int code =
      run_neptune_sim({"--listen", "127.0.0.1:0", "--cluster", "demo", "--clusters", "2",
                       "--instances", "2", "--duration", "200ms", "--arrival-rate", "0"},
                      out, err);
  EXPECT_EQ(code, 0) << err.str();
  std::istringstream lines(out.str());
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_EQ(got.size(), 6u) << out.str();
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(got[i].rfind("neptune-sim: listening on http://127.0.0.1:", 0), 0u) << got[i];
  EXPECT_EQ(got[4].rfind("neptune-sim: management API on http://127.0.0.1:", 0), 0u) << got[4];
  EXPECT_EQ(got[4].find("listening on"), std::string::npos);
  EXPECT_EQ(got[5], "neptune-sim: ready");
}

TEST(SimApp, UsageErrorsExit64NamingTheOption) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--clusters", "3"},
        std::vector<std::string>{"--cluster", "9lives"},
        std::vector<std::string>{"--cluster", "c", "--management-page-size", "500"}}) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(run_neptune_sim(args, out, err), 64) << args.front();
    const std::string option = args.size() == 2 ? args.front() : args[2];
    EXPECT_NE(err.str().find(option), std::string::npos) << err.str();
  }
}

}  // namespace
}  // namespace nw::sim
