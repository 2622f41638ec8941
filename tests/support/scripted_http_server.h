#pragma once
// A real HTTP server on 127.0.0.1, port 0, that answers from a script and records every
// request: the peer for the Neptune client's contract tests.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Event.h>

#include "nw/core/config.h"

namespace Poco::Net {
class HTTPServer;
}

namespace nw::test {

struct ScriptedResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};  // wait this long before answering
  // Announce this Content-Length but send only `body`, then close: a truncated answer.
  std::size_t announced_length = 0;
};

struct RecordedRequest {
  std::string method;
  std::string uri;  // path and query string as sent
  std::string body;
  std::string host_header;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // all of them, as received
  std::string header(const std::string& name) const;          // "" when absent
};

// Serve HTTPS with this certificate chain and key (PEM files) instead of plain HTTP.
struct TlsIdentity {
  std::string certificate_file;
  std::string private_key_file;
};

class ScriptedHttpServer {
 public:
  // `idle_timeout`: how long the server keeps an idle kept-alive connection open.
  explicit ScriptedHttpServer(std::chrono::milliseconds idle_timeout = std::chrono::seconds(10),
                              const TlsIdentity* tls = nullptr);
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::uint16_t port() const { return port_; }

  // Answers are served in order; once the queue is empty the fallback answers.
  void enqueue(ScriptedResponse response);
  void set_fallback(ScriptedResponse response);

  std::vector<RecordedRequest> requests() const;
  // TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests).
  int connections() const;

  // An endpoint section pointing at this server.
  EndpointConfig endpoint(ApiForm api = ApiForm::rest,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) const;

  // Used by the request handler.
  ScriptedResponse next_response(RecordedRequest request);
  bool wait_interrupted(std::chrono::milliseconds delay);

 private:
  mutable std::mutex mutex_;
  std::deque<ScriptedResponse> queue_;
  ScriptedResponse fallback_;
  std::vector<RecordedRequest> requests_;
  Poco::Event stopping_{Poco::Event::EVENT_MANUALRESET};
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
  bool https_ = false;
};

}  // namespace nw::test
