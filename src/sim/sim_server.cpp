#include "nw/sim/sim_server.h"

#include <algorithm>
#include <atomic>
#include <istream>
#include <system_error>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include "nw/sim/sim_service.h"

namespace nw::sim {
namespace {

class SimRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit SimRequestHandler(SimService& service) : service_(service) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    SimRequest sim_request;
    sim_request.method = request.getMethod();
    sim_request.target = request.getURI();
    sim_request.content_type = request.getContentType();

    SimResponse sim_response;
    if (!read_body(request.stream(), sim_request.body)) {
      sim_response = service_.error_response(413, "BadRequestException",
                                             "Request size exceeds the simulator's limit");
      response.setKeepAlive(false);
    } else {
      sim_response = service_.handle(sim_request);
    }

    response.setStatusAndReason(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(sim_response.status));
    response.setContentType(sim_response.content_type);
    response.setContentLength(static_cast<std::streamsize>(sim_response.body.size()));
    response.send() << sim_response.body;
  }

 private:
  // Reads the whole body (so the connection stays usable for the next request) unless
  // it is over the limit.
  static bool read_body(std::istream& in, std::string& body) {
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      body.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (body.size() > kMaxRequestBody) return false;
    }
    return true;
  }

  SimService& service_;
};

class SimRequestHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit SimRequestHandlerFactory(SimService& service) : service_(service) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new SimRequestHandler(service_);
  }

 private:
  SimService& service_;
};

}  // namespace

std::unique_ptr<Poco::ThreadPool> make_shared_server_pool(int servers) {
  // Each server's dispatcher keeps one thread once it has had a connection; the rest
  // come and go with the connections.
  const int capacity = std::max(1, servers) * kMaxThreadsPerServer;
  return std::make_unique<Poco::ThreadPool>("neptune-sim", /*minCapacity=*/2, capacity,
                                            /*idleTime=*/30);
}

SimServer::SimServer(SimService& service, const std::string& host, std::uint16_t port)
    : own_threads_(std::make_unique<Poco::ThreadPool>(2, kMaxThreadsPerServer)) {
  init(service, host, port, *own_threads_);
}

SimServer::SimServer(SimService& service, const std::string& host, std::uint16_t port,
                     Poco::ThreadPool& pool) {
  init(service, host, port, pool);
}

void SimServer::init(SimService& service, const std::string& host, std::uint16_t port,
                     Poco::ThreadPool& pool) {
  const Poco::Net::SocketAddress address(host, port);
  Poco::Net::ServerSocket socket;
  // SO_REUSEADDR for quick restarts, but never SO_REUSEPORT: a second simulator on the
  // same port must fail, not silently share its connections.
  socket.bind(address, /*reuseAddress=*/true, /*reusePort=*/false);
  socket.listen(64);
  const Poco::Net::SocketAddress bound = socket.address();
  port_ = bound.port();
  url_ = "http://" + bound.toString();
  loopback_ = bound.host().isLoopback();

  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  // Longer than any sensible poll interval, so a polling watchdog keeps one connection.
  params->setKeepAliveTimeout(Poco::Timespan(60, 0));
  params->setMaxKeepAliveRequests(0);
  params->setMaxThreads(kMaxThreadsPerServer);
  params->setMaxQueued(128);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new SimRequestHandlerFactory(service), pool,
                                                    socket, params);
}

SimServer::~SimServer() {
  stop();
}

void SimServer::start() {
  if (running_) return;
  server_->start();
  running_ = true;
}

void SimServer::stop() {
  if (!running_) return;
  running_ = false;
  server_->stopAll(/*abortCurrent=*/true);
  // Handlers run on our pool: wait for them so none outlives the service. (A shared
  // pool is joined by its owner once every server on it has stopped.)
  if (own_threads_) own_threads_->joinAll();
}

void stop_servers(const std::vector<std::unique_ptr<SimServer>>& servers) {
  constexpr std::size_t kStoppers = 16;
  std::atomic<std::size_t> next{0};
  const auto stop_some = [&] {
    for (std::size_t i = next++; i < servers.size(); i = next++) servers[i]->stop();
  };
  std::vector<std::thread> stoppers;
  for (std::size_t i = 1; i < std::min(kStoppers, servers.size()); ++i) {
    try {
      stoppers.emplace_back(stop_some);
    } catch (const std::system_error&) {
      break;  // no more threads: the ones there (this one included) do the rest
    }
  }
  stop_some();
  for (std::thread& stopper : stoppers) stopper.join();
}

}  // namespace nw::sim
