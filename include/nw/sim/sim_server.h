#pragma once
// The simulator's HTTP front: a Poco HTTPServer with keep-alive (the watchdog reuses its
// connections) that hands every request to a SimService. Binds in the constructor, so a
// port-0 caller knows its port before anything is served.
#include <cstdint>
#include <memory>
#include <string>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}  // namespace Net
}  // namespace Poco

namespace nw::sim {

class SimService;

// Request bodies larger than this are refused (413): status and control requests are
// tiny, and the simulator should not buffer whatever a client sends.
inline constexpr std::size_t kMaxRequestBody = 1 << 20;

class SimServer {
 public:
  // Throws Poco::Exception when the address cannot be resolved or bound. The service
  // must outlive the server.
  SimServer(SimService& service, const std::string& host, std::uint16_t port);
  ~SimServer();

  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  void start();
  // Stops accepting, closes open connections (idle keep-alive ones included) and waits
  // for handlers to return. Call SimService::shut_down() first to cut delays short.
  void stop();

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" ("http://[::1]:PORT" for IPv6), from the bound address.
  const std::string& url() const { return url_; }
  bool is_loopback() const { return loopback_; }

 private:
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
  std::string url_;
  bool loopback_ = true;
  bool running_ = false;
};

}  // namespace nw::sim
