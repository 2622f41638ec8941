// The one HTTP exchange against raw loopback servers that misbehave on purpose: peers that
// drip a header or a chunk-size line one byte at a time, answers nobody asked for, DNS that
// does not answer, and shutdown in the middle of an exchange.
#include "nw/io/http_exchange.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include "nw/io/tls_context.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Accepts connections on 127.0.0.1, port 0, and runs `script` on each (in order) on its own
// thread. A script stops when the socket fails or the server is being destroyed.
class RawServer {
 public:
  using Script = std::function<void(Poco::Net::StreamSocket&, const std::atomic<bool>& stopping)>;

  explicit RawServer(std::vector<Script> scripts)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)), scripts_(std::move(scripts)) {
    thread_ = std::thread([this] {
      for (auto& script : scripts_) {
        Poco::Net::StreamSocket peer;
        while (!stopping_) {
          if (socket_.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) {
            peer = socket_.acceptConnection();
            break;
          }
        }
        if (stopping_) return;
        ++accepted_;
        try {
          script(peer, stopping_);
        } catch (const Poco::Exception&) {
          // The client went away: the script is over.
        }
      }
    });
  }
  ~RawServer() {
    stopping_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return socket_.address().port(); }
  int accepted() const { return accepted_; }

 private:
  Poco::Net::ServerSocket socket_;
  std::vector<Script> scripts_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Reads one request's head (the tests send no bodies with GET).
void read_request(Poco::Net::StreamSocket& socket) {
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (socket.receiveBytes(&c, 1) <= 0) throw Poco::IOException("closed");
    head += c;
  }
}

void send_all(Poco::Net::StreamSocket& socket, const std::string& text) {
  socket.sendBytes(text.data(), static_cast<int>(text.size()));
}

std::string response(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Sends `prefix`, then one byte of `drip` every 50 ms until the client goes away.
RawServer::Script dripping(std::string prefix, char drip) {
  return [prefix, drip](Poco::Net::StreamSocket& socket, const std::atomic<bool>& stopping) {
    read_request(socket);
    send_all(socket, prefix);
    while (!stopping) {
      std::this_thread::sleep_for(milliseconds(50));
      socket.sendBytes(&drip, 1);
    }
  };
}

HttpOrigin loopback(std::uint16_t port) {
  HttpOrigin origin;
  origin.host = "127.0.0.1";
  origin.port = port;
  return origin;
}

HttpCall get(const std::string& target) {
  HttpCall call;
  call.method = "GET";
  call.target = target;
  call.what = "GET " + target;
  return call;
}

ExchangeLimits within(milliseconds timeout) {
  return {steady_clock::now() + timeout, 1u << 20};
}

// Poco times out each read on its own: one byte a second would hold a read forever.
TEST(HttpExchange, AHeaderDrippedByteByByteEndsAtTheDeadline) {
  RawServer server({dripping("HTTP/1.1 200 OK\r\nX-Slow: ", 'a')});
  HttpConnections connections(loopback(server.port()), nullptr);
  const auto answer = connections.exchange(get("/status"), within(milliseconds(400)));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().kind, FailureKind::timeout);
  EXPECT_EQ(answer.failure().message, "GET /status: no answer within request_timeout");
}

TEST(HttpExchange, AStatusLineDrippedByteByByteEndsAtTheDeadline) {
  RawServer server({dripping("HTTP/1.1 2", '0')});
  HttpConnections connections(loopback(server.port()), nullptr);
  const auto answer = connections.exchange(get("/status"), within(milliseconds(400)));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().kind, FailureKind::timeout);
}

TEST(HttpExchange, AChunkSizeLineDrippedByteByByteEndsAtTheDeadline) {
  RawServer server({dripping("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=", 'x')});
  HttpConnections connections(loopback(server.port()), nullptr);
  const auto answer = connections.exchange(get("/status"), within(milliseconds(400)));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().kind, FailureKind::timeout);
}

// The handshake runs under the same deadline: a server that sends its hello one byte at a
// time (here the start of a 16 KiB handshake record) holds nothing past request_timeout.
TEST(HttpExchange, ATlsHandshakeDrippedByteByByteEndsAtTheDeadline) {
  RawServer server({[](Poco::Net::StreamSocket& socket, const std::atomic<bool>& stopping) {
    char hello[512];
    socket.receiveBytes(hello, sizeof hello);  // the client's hello
    send_all(socket, std::string("\x16\x03\x03\x40\x00", 5));
    const char drip = 0x02;
    while (!stopping) {
      std::this_thread::sleep_for(milliseconds(50));
      socket.sendBytes(&drip, 1);
    }
  }});
  HttpOrigin origin = loopback(server.port());
  origin.https = true;
  origin.tls = make_client_tls_context();
  HttpConnections connections(origin, nullptr);
  const auto answer = connections.exchange(get("/status"), within(milliseconds(400)));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().kind, FailureKind::timeout) << answer.failure().describe();
}

// An answer nobody asked for, in the same packet as the real one: kept on the connection it
// would be read as the answer to the next request (a cancel audited `cancelled` before
// Neptune's real reply).
TEST(HttpExchange, BytesLeftAfterAnAnswerCloseTheConnection) {
  RawServer server({
      [](Poco::Net::StreamSocket& socket, const std::atomic<bool>&) {
        read_request(socket);
        send_all(socket, response("first") + response("stale"));
        read_request(socket);  // only if the client wrongly reuses this connection
        send_all(socket, response("wrong connection"));
      },
      [](Poco::Net::StreamSocket& socket, const std::atomic<bool>&) {
        read_request(socket);
        send_all(socket, response("second"));
      },
  });
  HttpConnections connections(loopback(server.port()), nullptr);
  const auto first = connections.exchange(get("/a"), within(milliseconds(2000)));
  ASSERT_TRUE(first.ok()) << first.failure().describe();
  EXPECT_EQ(first.value().body, "first");
  const auto second = connections.exchange(get("/b"), within(milliseconds(2000)));
  ASSERT_TRUE(second.ok()) << second.failure().describe();
  EXPECT_EQ(second.value().body, "second");
  EXPECT_EQ(server.accepted(), 2);
}

// The same answer arriving later, while the connection sits idle in the pool.
TEST(HttpExchange, BytesWaitingBeforeARequestCloseTheConnection) {
  std::mutex mutex;
  std::condition_variable sent;
  bool stale_sent = false;
  RawServer server({
      [&](Poco::Net::StreamSocket& socket, const std::atomic<bool>&) {
        read_request(socket);
        send_all(socket, response("first"));
        std::this_thread::sleep_for(milliseconds(100));
        send_all(socket, response("stale"));
        {
          std::lock_guard<std::mutex> lock(mutex);
          stale_sent = true;
        }
        sent.notify_all();
        read_request(socket);
        send_all(socket, response("wrong connection"));
      },
      [](Poco::Net::StreamSocket& socket, const std::atomic<bool>&) {
        read_request(socket);
        send_all(socket, response("second"));
      },
  });
  HttpConnections connections(loopback(server.port()), nullptr);
  const auto first = connections.exchange(get("/a"), within(milliseconds(2000)));
  ASSERT_TRUE(first.ok()) << first.failure().describe();
  {
    std::unique_lock<std::mutex> lock(mutex);
    sent.wait(lock, [&] { return stale_sent; });
  }
  std::this_thread::sleep_for(milliseconds(100));  // for the bytes to cross loopback
  const auto second = connections.exchange(get("/b"), within(milliseconds(2000)));
  ASSERT_TRUE(second.ok()) << second.failure().describe();
  EXPECT_EQ(second.value().body, "second");
}

TEST(HttpExchange, AKeptAliveConnectionIsReusedWhenNothingIsLeftOver) {
  test::ScriptedHttpServer server;
  server.set_fallback({200, "{}"});
  HttpConnections connections(loopback(server.port()), nullptr);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(connections.exchange(get("/a"), within(milliseconds(2000))).ok());
  EXPECT_EQ(server.connections(), 1);
}

// A resolver that answers only when the test lets it: the exchange must not wait for it. The
// lookup's thread outlives the exchange (that is the point), so it shares the state it waits on.
class HeldResolver {
 public:
  HostResolver resolver() const {
    return [state = state_](const std::string&) -> Result<std::string> {
      std::unique_lock<std::mutex> lock(state->mutex);
      state->released_cv.wait(lock, [&] { return state->released; });
      return std::string("127.0.0.1");
    };
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->released = true;
    }
    state_->released_cv.notify_all();
  }
  ~HeldResolver() { release(); }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable released_cv;
    bool released = false;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

TEST(HttpExchange, ADnsLookupThatDoesNotAnswerEndsAtTheDeadline) {
  auto held = std::make_shared<HeldResolver>();
  HttpOrigin origin;
  origin.host = "neptune.example.invalid";
  origin.port = 8182;
  HttpConnections connections(origin, nullptr, 2, held->resolver());
  const auto answer = connections.exchange(get("/status"), within(milliseconds(200)));
  // Returned while the lookup is still held: DNS cannot hold a poll past request_timeout.
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().kind, FailureKind::timeout);
  EXPECT_EQ(
      answer.failure().message,
      "GET /status: DNS lookup of neptune.example.invalid not answered within request_timeout");
  held->release();
}

TEST(HttpExchange, ANameIsDialledAtItsAddressAndSentAsTheHost) {
  test::ScriptedHttpServer server;
  server.set_fallback({200, "{}"});
  HttpOrigin origin;
  origin.host = "db-1.cluster-x.us-east-1.neptune.amazonaws.com";
  origin.port = server.port();
  HttpConnections connections(origin, nullptr, 2, [](const std::string&) -> Result<std::string> {
    return std::string("127.0.0.1");
  });
  ASSERT_TRUE(connections.exchange(get("/status"), within(milliseconds(2000))).ok());
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].host_header,
            "db-1.cluster-x.us-east-1.neptune.amazonaws.com:" + std::to_string(server.port()));
}

TEST(HttpExchange, AbortAllEndsAnExchangeInProgressAndRefusesLaterOnes) {
  RawServer server({dripping("HTTP/1.1 200 OK\r\nX-Slow: ", 'a')});
  auto reaper = std::make_shared<ExchangeReaper>();
  HttpConnections connections(loopback(server.port()), reaper);
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    reaper->abort_all();
  });
  // Far longer than any test: only abort_all() can end it.
  const auto answer = connections.exchange(get("/status"), within(milliseconds(600000)));
  stopper.join();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().kind, FailureKind::aborted);
  const auto later = connections.exchange(get("/status"), within(milliseconds(600000)));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.failure().kind, FailureKind::aborted);
  EXPECT_EQ(later.failure().message, "GET /status: not sent: shutting down");
}

// A chunked answer that never ends (etcd's watch): one line every 50 ms until the client goes.
RawServer::Script streaming() {
  return [](Poco::Net::StreamSocket& socket, const std::atomic<bool>& stopping) {
    read_request(socket);
    send_all(socket,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n");
    while (!stopping) {
      send_all(socket, "6\r\nline1\n\r\n");
      std::this_thread::sleep_for(milliseconds(50));
    }
  };
}

TEST(HttpExchange, AStreamedAnswerGoesToTheSinkAsItArrivesUntilTheSinkStops) {
  RawServer server({streaming(), [](Poco::Net::StreamSocket& socket, const std::atomic<bool>&) {
                      read_request(socket);
                      send_all(socket, response("{}"));
                    }});
  HttpConnections connections(loopback(server.port()), nullptr);
  std::string got;
  const auto start = steady_clock::now();
  auto answer = connections.exchange(get("/watch"), within(milliseconds(5000)), {},
                                     [&](const char* data, std::size_t size) {
                                       got.append(data, size);
                                       return got.size() < 18;
                                     });
  ASSERT_TRUE(answer.ok()) << answer.failure().describe();
  EXPECT_EQ(answer.value().status, 200);
  EXPECT_TRUE(answer.value().body.empty());
  EXPECT_EQ(got.substr(0, 18), "line1\nline1\nline1\n");
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  // A stream stopped halfway is never reused: the next request opens a new connection.
  ASSERT_TRUE(connections.exchange(get("/a"), within(milliseconds(2000))).ok());
  EXPECT_EQ(server.accepted(), 2);
}

TEST(HttpExchange, AStreamedAnswerEndsAtTheDeadline) {
  RawServer server({streaming()});
  HttpConnections connections(loopback(server.port()), nullptr);
  std::size_t pieces = 0;
  auto answer = connections.exchange(get("/watch"), within(milliseconds(300)), {},
                                     [&](const char*, std::size_t) { return ++pieces > 0; });
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().kind, FailureKind::timeout);
  EXPECT_GE(pieces, 2u);
}

TEST(HttpExchange, ABodyBeyondTheCapIsRefused) {
  test::ScriptedHttpServer server;
  server.set_fallback({200, std::string(5000, 'x')});
  HttpConnections connections(loopback(server.port()), nullptr);
  const auto answer =
      connections.exchange(get("/status"), {steady_clock::now() + milliseconds(2000), 1000});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().kind, FailureKind::bad_response);
  EXPECT_EQ(answer.failure().message,
            "GET /status: response of 5000 bytes exceeds the limit of 1000");
}

}  // namespace
}  // namespace nw
