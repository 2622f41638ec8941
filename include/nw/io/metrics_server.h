#pragma once
// The `[watchdog] metrics_listen` HTTP server: GET /metrics (Prometheus text format 0.0.4)
// and GET /healthz (200 "ok", or 503 with the reason). Two worker threads and no keep-alive,
// so a slow or idle scraper cannot take the listener away from the next one; the poll loops
// never wait for it.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "nw/core/metrics.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

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

class MetricsServer {
 public:
  // Asked on every GET /healthz, from the server's threads (two may ask at once); typically
  // metrics.health(system_clock::now(), poll_interval, endpoints) with the config in force.
  using HealthCheck = std::function<HealthReport()>;

  // Binds `listen` ("127.0.0.1:9464", "[::1]:9464", "localhost:0"; port 0 picks a free
  // one) and starts serving. `metrics` must outlive the server. Throws MetricsListenError.
  MetricsServer(const std::string& listen, const Metrics& metrics, HealthCheck health);
  ~MetricsServer();  // stops accepting and aborts requests in flight
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  std::uint16_t port() const { return port_; }  // the bound port, also when 0 was asked

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;  // declared last: stopped first
};

}  // namespace nw
