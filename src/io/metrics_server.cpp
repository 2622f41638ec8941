#include "nw/io/metrics_server.h"

#include <cerrno>
#include <exception>
#include <utility>
#include <variant>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include "nw/core/listen_address.h"

namespace nw {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr int kThreads = 2;
constexpr int kMaxQueued = 16;
constexpr long kSocketTimeoutSeconds = 5;  // a scraper that stalls mid-request is dropped

// Poco's "Net Exception: Address already in use: 127.0.0.1:9464" without the class name and
// the address the caller already names.
std::string bind_error_text(const Poco::Exception& e, const std::string& host, std::uint16_t port) {
  std::string text = e.displayText();
  const std::string prefix = "Net Exception: ";
  if (text.rfind(prefix, 0) == 0) text.erase(0, prefix.size());
  for (const std::string& address :
       {host + ":" + std::to_string(port), "[" + host + "]:" + std::to_string(port)}) {
    const std::string suffix = ": " + address;
    if (text.size() > suffix.size() &&
        text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0)
      text.erase(text.size() - suffix.size());
  }
  return text;
}

void send_text(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
               const std::string& content_type, const std::string& body) {
  response.setStatusAndReason(status);
  response.setContentType(content_type);
  response.set("Cache-Control", "no-store");
  response.sendBuffer(body.data(), body.size());
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(const Metrics& metrics, const MetricsServer::HealthCheck& health)
      : metrics_(metrics), health_(health) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const std::string& uri = request.getURI();
    const std::string path = uri.substr(0, uri.find('?'));
    const bool known = path == "/metrics" || path == "/healthz";
    if (!known) return send_text(response, HTTPResponse::HTTP_NOT_FOUND, kPlain, "not found\n");
    const auto& method = request.getMethod();
    if (method != Poco::Net::HTTPRequest::HTTP_GET && method != Poco::Net::HTTPRequest::HTTP_HEAD) {
      response.set("Allow", "GET, HEAD");
      return send_text(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, kPlain,
                       "method not allowed\n");
    }
    try {
      if (path == "/metrics") {
        send_text(response, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                  metrics_.render());
      } else {
        const HealthReport report = health_();
        if (report.healthy)
          send_text(response, HTTPResponse::HTTP_OK, kPlain, "ok\n");
        else
          send_text(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, kPlain, report.reason + "\n");
      }
    } catch (const std::exception& e) {
      if (!response.sent())
        send_text(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, kPlain,
                  std::string(e.what()) + "\n");
    }
  }

 private:
  static constexpr const char* kPlain = "text/plain; charset=utf-8";
  const Metrics& metrics_;
  const MetricsServer::HealthCheck& health_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const Metrics& metrics, MetricsServer::HealthCheck health)
      : metrics_(metrics), health_(std::move(health)) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(metrics_, health_);
  }

 private:
  const Metrics& metrics_;
  const MetricsServer::HealthCheck health_;  // owned here: lives as long as the server
};

}  // namespace

MetricsServer::MetricsServer(const std::string& listen, const Metrics& metrics,
                             HealthCheck health) {
  const auto parsed = parse_listen_address(listen);
  if (const auto* why = std::get_if<std::string>(&parsed))
    throw MetricsListenError("invalid listen address \"" + listen + "\": " + *why);
  const auto& [host, port] = std::get<ListenAddress>(parsed);
  Poco::Net::ServerSocket socket;
  try {
    // SO_REUSEADDR for a quick restart, but not SO_REUSEPORT: a second watchdog must fail
    // to bind rather than silently share the port (ServerSocket's constructor sets both).
    socket.bind(Poco::Net::SocketAddress(host, port), true, false);
    socket.listen(64);
  } catch (const Poco::Exception& e) {
    throw MetricsListenError("cannot listen on " + listen + ": " + bind_error_text(e, host, port),
                             e.code() == EADDRINUSE);
  }
  port_ = socket.address().port();

  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(kThreads);
  params->setMaxQueued(kMaxQueued);
  params->setKeepAlive(false);
  params->setTimeout(Poco::Timespan(kSocketTimeoutSeconds, 0));
  params->setServerName("neptune-watchdog");
  pool_ = std::make_unique<Poco::ThreadPool>(1, kThreads);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(metrics, std::move(health)), *pool_,
                                                    socket, params);
  server_->start();
}

MetricsServer::~MetricsServer() {
  server_->stopAll(true);
  server_.reset();
  pool_->joinAll();
}

}  // namespace nw
