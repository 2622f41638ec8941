// The /metrics and /healthz server, for real on 127.0.0.1, port 0, asked by a real HTTP
// client: status codes, content types and bodies, a clear error when the port is taken, and
// answers while slow or idle clients hold connections (raw sockets that drip or say nothing).
#include "nw/io/metrics_server.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

namespace nw {
namespace {

using Poco::Net::StreamSocket;
using std::chrono::milliseconds;
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

StreamSocket connect_to(std::uint16_t port) {
  return StreamSocket(Poco::Net::SocketAddress("127.0.0.1", port));
}

// Sends one byte; false when the server has closed the connection.
bool send_byte(StreamSocket& socket, char byte) {
  try {
    return socket.sendBytes(&byte, 1, MSG_NOSIGNAL) == 1;
  } catch (const Poco::Exception&) {  // EPIPE, ECONNRESET
    return false;
  }
}

// Whether the server closes the connection (end of stream, or a reset) within 10 s, a bound
// only against hanging; whatever it sends before is skipped.
bool closed_by_server(StreamSocket& socket) {
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  char buffer[256];
  try {
    while (socket.receiveBytes(buffer, sizeof buffer) > 0) {
    }
    return true;
  } catch (const Poco::TimeoutException&) {
    return false;
  } catch (const Poco::Exception&) {  // ECONNRESET
    return true;
  }
}

// Nothing to read and no error: the server has not closed it. Asks without waiting.
bool still_open(StreamSocket& socket) {
  return !socket.poll(Poco::Timespan(0),
                      Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
}

// Sends `request` at once and returns all the server answers before it closes.
std::string exchange(std::uint16_t port, const std::string& request) {
  StreamSocket socket = connect_to(port);
  for (std::size_t sent = 0; sent < request.size();)
    sent += static_cast<std::size_t>(socket.sendBytes(
        request.data() + sent, static_cast<int>(request.size() - sent), MSG_NOSIGNAL));
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string answer;
  char buffer[4096];
  for (int n; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) answer.append(buffer, n);
  return answer;
}

// Clients that send a request header one byte at a time, every 50 ms, and never finish it:
// a timeout per read never fires on them.
class Drippers {
 public:
  Drippers(std::uint16_t port, int count) {
    for (int i = 0; i < count; ++i) {
      sockets_.push_back(connect_to(port));
      send_byte(sockets_.back(), kHeader[0]);
    }
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      for (std::size_t i = 1; !cv_.wait_for(lock, milliseconds(50), [this] { return done_; }); ++i)
        for (StreamSocket& s : sockets_) send_byte(s, i < kHeader.size() ? kHeader[i] : 'a');
    });
  }
  ~Drippers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  std::vector<StreamSocket>& sockets() { return sockets_; }

 private:
  inline static const std::string kHeader = "GET /healthz HTTP/1.1\r\nX-Slow: ";
  std::vector<StreamSocket> sockets_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

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
  metrics.poll_finished("writer", "opencypher", true, "", 0.01, std::chrono::system_clock::now());
  metrics.decision_recorded("writer", "opencypher", "long-reads", AuditOutcome::cancelled);
  MetricsServer server("127.0.0.1:0", metrics, [] { return HealthReport{}; });
  ASSERT_NE(server.port(), 0);

  const Reply reply = fetch(server.port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reply.body, metrics.render());
  EXPECT_NE(reply.body.find("neptune_watchdog_build_info{version=\"9.9.9\"} 1\n"),
            std::string::npos);
  EXPECT_NE(reply.body.find("neptune_watchdog_cancels_total{endpoint=\"writer\",language="
                            "\"opencypher\",rule=\"long-reads\"} 1\n"),
            std::string::npos);

  // Each scrape renders afresh.
  metrics.decision_recorded("writer", "opencypher", "long-reads", AuditOutcome::cancelled);
  EXPECT_NE(fetch(server.port(), "/metrics?x=1")
                .body.find("neptune_watchdog_cancels_total{endpoint=\"writer\",language="
                           "\"opencypher\",rule=\"long-reads\"} 2\n"),
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
  metrics.poll_finished("writer", "opencypher", true, "", 0.01, now);
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

TEST(MetricsServer, ClientsDrippingTheirHeadersDoNotKeepProbesWaiting) {
  // A deadline far away: the probes are answered because no connection holds a thread, not
  // because the slow ones were cut off.
  Metrics metrics;
  MetricsServerOptions options;
  options.header_timeout = seconds(60);
  MetricsServer server(
      "127.0.0.1:0", metrics, [] { return HealthReport{}; }, options);
  Drippers slow(server.port(), 6);  // more than any thread pool this server ever had

  for (const char* path : {"/healthz", "/metrics", "/healthz"}) {
    try {
      EXPECT_EQ(fetch(server.port(), path).status, 200) << path;
    } catch (const Poco::Exception& e) {
      ADD_FAILURE() << path
                    << " not answered while slow clients were connected: " << e.displayText();
    }
  }
  for (StreamSocket& s : slow.sockets()) EXPECT_TRUE(still_open(s));
}

TEST(MetricsServer, AHeaderNotCompleteByTheDeadlineIsClosedHoweverItTrickles) {
  Metrics metrics;
  MetricsServerOptions options;
  options.header_timeout = milliseconds(300);
  MetricsServer server(
      "127.0.0.1:0", metrics, [] { return HealthReport{}; }, options);

  StreamSocket silent = connect_to(server.port());
  {
    Drippers slow(server.port(), 2);
    for (StreamSocket& s : slow.sockets()) EXPECT_TRUE(closed_by_server(s));
  }
  EXPECT_TRUE(closed_by_server(silent));
  // A request that arrives whole is answered as before.
  EXPECT_EQ(fetch(server.port(), "/healthz").status, 200);
}

TEST(MetricsServer, ANewConnectionPastThePerPeerCapClosesTheOldestIdleOne) {
  // Prometheus and any other client on the same host share 127.0.0.1: connections left idle
  // there must not keep a scrape out until their deadline.
  Metrics metrics;
  MetricsServerOptions options;
  options.header_timeout = seconds(60);
  options.connections_per_peer = 4;
  MetricsServer server(
      "127.0.0.1:0", metrics, [] { return HealthReport{}; }, options);

  std::vector<StreamSocket> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(connect_to(server.port()));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(closed_by_server(idle[i])) << i;

  const Reply reply = fetch(server.port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
  // The probe took the oldest idle connection's place; the others stay until their deadline.
  EXPECT_TRUE(closed_by_server(idle[4]));
  for (int i = 5; i < 8; ++i) EXPECT_TRUE(still_open(idle[i])) << i;
}

TEST(MetricsServer, ANewConnectionPastTheTotalCapClosesTheOldestIdleOne) {
  Metrics metrics;
  MetricsServerOptions options;
  options.header_timeout = seconds(60);
  options.connections = 3;
  MetricsServer server(
      "127.0.0.1:0", metrics, [] { return HealthReport{}; }, options);

  std::vector<StreamSocket> idle;
  for (int i = 0; i < 5; ++i) idle.push_back(connect_to(server.port()));
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(closed_by_server(idle[i])) << i;
  EXPECT_EQ(fetch(server.port(), "/metrics").status, 200);
  EXPECT_TRUE(closed_by_server(idle[2]));
  for (int i = 3; i < 5; ++i) EXPECT_TRUE(still_open(idle[i])) << i;
}

TEST(MetricsServer, MalformedRequestsAre400AndHugeHeaders431) {
  Metrics metrics;
  MetricsServer server("127.0.0.1:0", metrics, [] { return HealthReport{}; });
  for (const char* request :
       {"garbage\r\n\r\n", "GET /healthz\r\n\r\n", "GET /healthz HTTP/1.1\r\nno colon\r\n\r\n"})
    EXPECT_EQ(exchange(server.port(), request).rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u)
        << request;
  const std::string huge =
      "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  const std::string too_large = exchange(server.port(), huge);
  EXPECT_EQ(too_large.rfind("HTTP/1.1 431 ", 0), 0u) << too_large;
  // Bare LFs, a leading empty line, HTTP/1.0: answered.
  const std::string lf = exchange(server.port(), "\r\nGET /healthz HTTP/1.0\nHost: x\n\n");
  EXPECT_EQ(lf.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << lf;
  EXPECT_EQ(lf.substr(lf.size() - 7), "\r\n\r\nok\n");
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
