// The /metrics and /healthz server, for real on 127.0.0.1, port 0, asked by a real HTTP
// client: status codes, content types and bodies, and a clear error when the port is taken.
#include "nw/io/metrics_server.h"

#include <atomic>
#include <memory>
#include <string>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

namespace nw {
namespace {

using std::chrono::seconds;

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

Reply fetch(std::uint16_t port, const std::string& path,
            const std::string& method = Poco::Net::HTTPRequest::HTTP_GET) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& body = session.receiveResponse(response);
  Reply reply;
  reply.status = response.getStatus();
  reply.content_type = response.getContentType();
  Poco::StreamCopier::copyToString(body, reply.body);
  return reply;
}

// A health check whose verdict the test sets.
struct SwitchableHealth {
  std::shared_ptr<std::atomic<bool>> healthy = std::make_shared<std::atomic<bool>>(true);
  MetricsServer::HealthCheck check() const {
    return [h = healthy] {
      if (*h) return HealthReport{};
      return HealthReport{false, "endpoint writer: no successful poll for 17s (limit 15s)"};
    };
  }
};

TEST(MetricsServer, ServesMetricsInTheTextFormat) {
  Metrics metrics("9.9.9");
  metrics.poll_finished("writer", true, "", 0.01, std::chrono::system_clock::now());
  metrics.decision_recorded("writer", "long-reads", AuditOutcome::cancelled);
  MetricsServer server("127.0.0.1:0", metrics, [] { return HealthReport{}; });
  ASSERT_NE(server.port(), 0);

  const Reply reply = fetch(server.port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reply.body, metrics.render());
  EXPECT_NE(reply.body.find("neptune_watchdog_build_info{version=\"9.9.9\"} 1\n"),
            std::string::npos);
  EXPECT_NE(reply.body.find(
                "neptune_watchdog_cancels_total{endpoint=\"writer\",rule=\"long-reads\"} 1\n"),
            std::string::npos);

  // Each scrape renders afresh.
  metrics.decision_recorded("writer", "long-reads", AuditOutcome::cancelled);
  EXPECT_NE(
      fetch(server.port(), "/metrics?x=1")
          .body.find("neptune_watchdog_cancels_total{endpoint=\"writer\",rule=\"long-reads\"} 2\n"),
      std::string::npos);
}

TEST(MetricsServer, HealthzAnswers200ThenTheReasonWith503) {
  Metrics metrics;
  SwitchableHealth health;
  MetricsServer server("127.0.0.1:0", metrics, health.check());

  Reply reply = fetch(server.port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(reply.body, "ok\n");

  *health.healthy = false;
  reply = fetch(server.port(), "/healthz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(reply.body, "endpoint writer: no successful poll for 17s (limit 15s)\n");

  *health.healthy = true;
  EXPECT_EQ(fetch(server.port(), "/healthz").status, 200);
}

TEST(MetricsServer, HealthzUsesTheRegistrysVerdict) {
  Metrics metrics;
  const auto now = std::chrono::system_clock::now();
  MetricsServer server("127.0.0.1:0", metrics,
                       [&metrics, now] { return metrics.health(now, seconds(5), {"writer"}); });
  Reply reply = fetch(server.port(), "/healthz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "endpoint writer: never polled successfully\n");
  metrics.poll_finished("writer", true, "", 0.01, now);
  reply = fetch(server.port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
}

TEST(MetricsServer, UnknownPathsAre404AndOtherMethods405) {
  Metrics metrics;
  MetricsServer server("127.0.0.1:0", metrics, [] { return HealthReport{}; });
  for (const char* path : {"/", "/metric", "/metrics/", "/healthz/x", "/favicon.ico"})
    EXPECT_EQ(fetch(server.port(), path).status, 404) << path;
  EXPECT_EQ(fetch(server.port(), "/metrics", Poco::Net::HTTPRequest::HTTP_POST).status, 405);
  EXPECT_EQ(fetch(server.port(), "/healthz", Poco::Net::HTTPRequest::HTTP_DELETE).status, 405);
  const Reply head = fetch(server.port(), "/healthz", Poco::Net::HTTPRequest::HTTP_HEAD);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST(MetricsServer, ABoundPortIsAClearError) {
  Metrics metrics;
  MetricsServer first("127.0.0.1:0", metrics, [] { return HealthReport{}; });
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  try {
    MetricsServer second(taken, metrics, [] { return HealthReport{}; });
    FAIL() << "bound a port already in use";
  } catch (const MetricsListenError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what, "cannot listen on " + taken + ": Address already in use");
  }
  // The first server is unharmed.
  EXPECT_EQ(fetch(first.port(), "/healthz").status, 200);
}

TEST(MetricsServer, APortHeldByAnotherProgramsSocketIsAnError) {
  // Poco's ServerSocket constructor sets SO_REUSEPORT; the server must still refuse to share.
  Poco::Net::ServerSocket other(Poco::Net::SocketAddress("127.0.0.1", 0));
  Metrics metrics;
  try {
    MetricsServer server("127.0.0.1:" + std::to_string(other.address().port()), metrics,
                         [] { return HealthReport{}; });
    ADD_FAILURE() << "shared a port held by another socket";
  } catch (const MetricsListenError& e) {
    EXPECT_TRUE(e.address_in_use) << e.what();
  }
}

TEST(MetricsServer, MalformedListenAddressesAreClearErrors) {
  // The forms themselves are ListenAddress's tests; here, that the server refuses them.
  Metrics metrics;
  const std::pair<const char*, const char*> rows[] = {
      {"127.0.0.1", "expected host:port"},
      {"::1:9464", "write an IPv6 address in brackets"},
  };
  for (const auto& [listen, message] : rows) {
    try {
      MetricsServer server(listen, metrics, [] { return HealthReport{}; });
      ADD_FAILURE() << listen << " accepted";
    } catch (const MetricsListenError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("invalid listen address \"") + listen + "\""),
                std::string::npos)
          << what;
      EXPECT_NE(what.find(message), std::string::npos) << what;
      EXPECT_FALSE(e.address_in_use) << what;
    }
  }
}

}  // namespace
}  // namespace nw
