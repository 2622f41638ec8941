#pragma once
// The simulator's HTTP front: a Poco HTTPServer with keep-alive (the watchdog reuses its
// connections) that hands every request to a SimHandler (an instance's SimService, or the
// management API). Binds in the constructor, so a
// port-0 caller knows its port before anything is served.
//
// Threads: each server has one thread that accepts connections, and handles each open
// connection on a thread of its pool (keep-alive holds that thread while the connection
// stays open), at most kMaxThreadsPerServer at once. Many servers in one process share
// one pool, so that threads follow the connections clients open rather than a fixed
// number per server.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}  // namespace Net
}  // namespace Poco

namespace nw::sim {

class SimHandler;

// Request bodies larger than this are refused (413): status and control requests are
// tiny, and the simulator should not buffer whatever a client sends.
inline constexpr std::size_t kMaxRequestBody = 1 << 20;

// Connections one server handles at once; more wait in its queue.
inline constexpr int kMaxThreadsPerServer = 32;

// Connections the management API handles at once. A watchdog keeps one connection per
// cluster it follows (each alive between refreshes), and the real API is not limited to a
// few dozen clients: at 32, a daemon following 60 clusters waited for idle connections to
// time out before the rest of its clusters were answered.
inline constexpr int kMaxManagementThreads = 256;

// A pool for `servers` servers to share: threads are started on demand and idle ones
// are ended, so its capacity is only a ceiling.
std::unique_ptr<Poco::ThreadPool> make_shared_server_pool(int servers);

class SimServer {
 public:
  // Throws Poco::Exception when the address cannot be resolved or bound. The service
  // must outlive the server. With a `tls` context (a server one, see
  // make_server_tls_context in sim_tls.h) it serves HTTPS; without, plain HTTP.
  // It handles at most `max_threads` connections at once, on a pool of its own.
  SimServer(SimHandler& service, const std::string& host, std::uint16_t port,
            Poco::Net::Context::Ptr tls = nullptr, int max_threads = kMaxThreadsPerServer);
  // Handles connections on `pool`, which it shares with other servers; the pool must
  // outlive the server. stop() then cannot wait for the pool: after stopping every
  // server that uses it, call pool.joinAll() before any of their services goes.
  SimServer(SimHandler& service, const std::string& host, std::uint16_t port,
            Poco::ThreadPool& pool, Poco::Net::Context::Ptr tls = nullptr);
  ~SimServer();

  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  void start();
  // Stops accepting, closes open connections (idle keep-alive ones included) and, with a
  // pool of its own, waits for handlers to return. Call the handler's shut_down() first to
  // cut delays short.
  void stop();

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" ("http://[::1]:PORT" for IPv6; https:// with TLS), from the
  // bound address.
  const std::string& url() const { return url_; }
  bool is_loopback() const { return loopback_; }

 private:
  void init(SimHandler& service, const std::string& host, std::uint16_t port,
            Poco::ThreadPool& pool, Poco::Net::Context::Ptr tls, int max_threads);

  std::unique_ptr<Poco::ThreadPool> own_threads_;  // null with a shared pool
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
  std::string url_;
  bool loopback_ = true;
  bool running_ = false;
};

// Stops every server (see SimServer::stop), several side by side: each stop waits for
// its acceptor to notice (Poco polls every 250 ms), which adds up over many instances.
void stop_servers(const std::vector<std::unique_ptr<SimServer>>& servers);

}  // namespace nw::sim
