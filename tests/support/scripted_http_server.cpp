#include "support/scripted_http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

namespace nw::test {
namespace {

class ScriptedHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit ScriptedHandler(ScriptedHttpServer& owner) : owner_(owner) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    RecordedRequest recorded;
    recorded.method = request.getMethod();
    recorded.uri = request.getURI();
    recorded.host_header = request.getHost();
    recorded.content_type = request.getContentType();
    for (const auto& [name, value] : request) recorded.headers.emplace_back(name, value);
    Poco::StreamCopier::copyToString(request.stream(), recorded.body);

    const ScriptedResponse answer = owner_.next_response(std::move(recorded));
    if (answer.delay.count() > 0 && !owner_.wait_interrupted(answer.delay)) return;
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    response.setContentType(answer.content_type);
    if (answer.announced_length > 0) {
      response.setContentLength(static_cast<std::streamsize>(answer.announced_length));
      response.setKeepAlive(false);  // the server closes after the short body
    } else {
      response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    }
    response.send() << answer.body;
  }

 private:
  ScriptedHttpServer& owner_;
};

class ScriptedFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit ScriptedFactory(ScriptedHttpServer& owner) : owner_(owner) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new ScriptedHandler(owner_);
  }

 private:
  ScriptedHttpServer& owner_;
};

}  // namespace

ScriptedHttpServer::ScriptedHttpServer(std::chrono::milliseconds idle_timeout, const TlsIdentity* tls) {
  Poco::Net::ServerSocket socket;
  const Poco::Net::SocketAddress loopback("127.0.0.1", 0);
  if (tls) {
    Poco::Net::Context::Ptr context = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, tls->private_key_file, tls->certificate_file, "",
        Poco::Net::Context::VERIFY_NONE);
    socket = Poco::Net::SecureServerSocket(loopback, 64, context);
    https_ = true;
  } else {
    socket = Poco::Net::ServerSocket(loopback);
  }
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setMaxThreads(4);
  params->setKeepAliveTimeout(Poco::Timespan(static_cast<long>(idle_timeout.count()) * 1000));
  server_ = std::make_unique<Poco::Net::HTTPServer>(new ScriptedFactory(*this), socket, params);
  server_->start();
}

ScriptedHttpServer::~ScriptedHttpServer() {
  stopping_.set();
  server_->stopAll(true);
}

void ScriptedHttpServer::enqueue(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(std::move(response));
}

void ScriptedHttpServer::set_fallback(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(mutex_);
  fallback_ = std::move(response);
}

std::vector<RecordedRequest> ScriptedHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

ScriptedResponse ScriptedHttpServer::next_response(RecordedRequest request) {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.push_back(std::move(request));
  if (queue_.empty()) return fallback_;
  ScriptedResponse next = std::move(queue_.front());
  queue_.pop_front();
  return next;
}

std::string RecordedRequest::header(const std::string& name) const {
  for (const auto& [n, v] : headers)
    if (Poco::icompare(n, name) == 0) return v;
  return "";
}

int ScriptedHttpServer::connections() const { return server_->totalConnections(); }

bool ScriptedHttpServer::wait_interrupted(std::chrono::milliseconds delay) {
  return !stopping_.tryWait(static_cast<long>(delay.count()));
}

EndpointConfig ScriptedHttpServer::endpoint(ApiForm api, std::chrono::milliseconds timeout) const {
  EndpointConfig e;
  e.name = "test";
  e.url.host = "127.0.0.1";
  e.url.https = https_;
  e.url.port = port_;
  e.api = api;
  e.request_timeout = timeout;
  return e;
}

}  // namespace nw::test
