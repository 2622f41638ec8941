#pragma once
// The `[watchdog] metrics_listen` HTTP server: GET /metrics (Prometheus text format 0.0.4)
// and GET /healthz (200 "ok", or 503 with the reason). No keep-alive: one request per
// connection, then the server closes it.
//
// One thread serves every connection with poll(): it reads requests without blocking, answers
// them from memory and hands each response to the kernel without waiting for the peer. A
// connection therefore never holds a thread, and slow or idle clients cannot keep a probe
// from being answered. Poco's HTTPServer was replaced for that: it gives each connection a
// pool thread that blocks on it, and its timeout applies to each read, so a client sending a
// header byte every few seconds held a thread forever and two such clients took the server.
// A watchdog thread that shut such sockets down would have to race Poco for the socket's
// lifetime and still leave a thread per connection; a request set of two fixed GETs needs
// only a small parser, and a single loop keeps every deadline in one place.
//
// What a client can hold (MetricsServerOptions):
// - a deadline for each connection, counted from when it was accepted and not reset by
//   traffic: the request line and headers by then, or the connection is closed; the response
//   then has as long again to be taken, and the close as long again to be acknowledged;
// - at most `connections_per_peer` connections from one address and `connections` in all.
//   A new connection past either cap closes the oldest one (preferring one whose request is
//   still incomplete): a well-behaved client's fresh connection, such as Prometheus' next
//   scrape, is served even when idle connections from its own address fill the cap, and a
//   client that opens connections in a loop only cuts off its own.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "nw/core/metrics.h"

namespace nw {

// The listen address is malformed or cannot be bound, e.g. "cannot listen on
// 127.0.0.1:9464: Address already in use". The app reports it as watchdog.metrics_listen.
struct MetricsListenError : std::runtime_error {
  explicit MetricsListenError(const std::string& what, bool in_use = false)
      : std::runtime_error(what), address_in_use(in_use) {}
  // The port is held by another socket, perhaps only until the instance being restarted has
  // gone: worth trying again, unlike an address that is not local or a port the daemon may
  // not bind.
  bool address_in_use = false;
};

// What one client may hold of the server. The defaults are the daemon's.
struct MetricsServerOptions {
  // From accept to the end of the request's headers: one deadline for the whole header, not
  // one per read. Also the time the peer has to take the response, and then to close. A
  // scrape sends a few hundred bytes at once; 5 s is generous.
  std::chrono::milliseconds header_timeout{5000};
  // Connections open at once from one address (IPv4, or a full IPv6 address). Prometheus and
  // a liveness probe each use one at a time.
  std::size_t connections_per_peer = 8;
  // Connections open at once in all: bounds the descriptors the daemon spends on clients.
  std::size_t connections = 64;
};

class MetricsServer {
 public:
  // Asked on every GET /healthz, from the server's thread; typically
  // metrics.health(system_clock::now(), poll_interval, endpoints) with the config in force.
  using HealthCheck = std::function<HealthReport()>;

  // Binds `listen` ("127.0.0.1:9464", "[::1]:9464", "localhost:0"; port 0 picks a free
  // one) and starts serving. `metrics` must outlive the server. Throws MetricsListenError.
  MetricsServer(const std::string& listen, const Metrics& metrics, HealthCheck health,
                MetricsServerOptions options = {});
  ~MetricsServer();  // stops accepting and closes every connection, answered or not
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  std::uint16_t port() const { return port_; }  // the bound port, also when 0 was asked

 private:
  struct Loop;
  std::uint16_t port_ = 0;
  std::unique_ptr<Loop> loop_;
};

}  // namespace nw
