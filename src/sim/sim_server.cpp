#include "nw/sim/sim_server.h"

#include <algorithm>
#include <atomic>
#include <istream>
#include <ostream>
#include <sstream>
#include <system_error>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include "nw/sim/sim_handler.h"
#include "nw/sim/wire_fault.h"

namespace nw::sim {
namespace {

// How long a reset answer lingers after its first bytes, before the reset.
constexpr std::int64_t kResetGraceMs = 50;

class SimRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit SimRequestHandler(SimHandler& service) : service_(service) {}

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

    send(request, response, sim_response);
  }

 private:
  // Writes the answer, misbehaving as its WireFault says. Every wait is cut short when
  // the service shuts down; a client that hangs up ends the answer (the stream fails).
  void send(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
            const SimResponse& answer) {
    const WireFault& wire = answer.wire;
    if (wire.slow_headers_ms > 0) service_.pause(wire.slow_headers_ms);

    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    response.setContentType(answer.content_type);
    const std::string& body = answer.body;
    switch (wire.breaks) {
      case WireFault::Break::huge:
        send_huge(response, wire.huge_bytes, /*chunked=*/false);
        return;
      case WireFault::Break::huge_chunked:
        send_huge(response, wire.huge_bytes, /*chunked=*/true);
        return;
      case WireFault::Break::truncated: {
        // The full length is promised, half is sent, and the connection closes: the client
        // meets the end of the stream inside the body.
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.setKeepAlive(false);
        std::ostream& out = response.send();
        out.write(body.data(), static_cast<std::streamsize>(truncated_length(body.size())));
        out.flush();
        return;
      }
      case WireFault::Break::reset: {
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.setKeepAlive(false);
        // SO_LINGER 0: the close that follows this handler sends RST instead of FIN, so the
        // client's next read fails with ECONNRESET.
        if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request))
          impl->socket().setLinger(true, 0);
        std::ostream& out = response.send();
        out.write(body.data(), static_cast<std::streamsize>(reset_prefix_length(body.size())));
        out.flush();
        // Let the headers and the first bytes reach the client before the reset discards
        // whatever is still queued.
        service_.pause(kResetGraceMs);
        return;
      }
      case WireFault::Break::drip_chunk:
        send_dripped(request, response, body, wire.drip_ms);
        return;
      case WireFault::Break::extra_response:
        send_with_extra(request, response, body);
        return;
      case WireFault::Break::none:
        break;
    }
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    if (wire.trickle_ms <= 0 || body.empty()) {
      response.send() << body;
      return;
    }
    const TricklePlan plan = plan_trickle(body.size(), wire.trickle_ms);
    std::ostream& out = response.send();
    out.flush();  // the headers go at once; only the body trickles
    for (std::size_t at = 0; at < body.size() && out; at += plan.piece_bytes) {
      if (!service_.pause(plan.gap_ms)) break;
      out.write(body.data() + at,
                static_cast<std::streamsize>(std::min(plan.piece_bytes, body.size() - at)));
      out.flush();
    }
  }

  // The answer chunked, its chunk-size line one byte at a time, written to the socket itself:
  // Poco's chunked stream would send each line whole.
  void send_dripped(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                    const std::string& body, std::int64_t drip_ms) {
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (!impl) return;
    response.setChunkedTransferEncoding(true);
    // Whatever the client makes of it, a connection left mid-chunk is not worth keeping.
    response.setKeepAlive(false);
    std::ostringstream head;
    response.write(head);
    Poco::Net::StreamSocket& socket = impl->socket();
    const DripPlan plan = plan_drip(body.size(), drip_ms);
    try {
      send_all(socket, head.str());
      for (const char byte : plan.line) {
        if (!service_.pause(plan.gap_ms)) return;
        send_all(socket, std::string(1, byte));
      }
      send_all(socket, body + "\r\n0\r\n\r\n");
    } catch (const Poco::Exception&) {
      // The client hung up (e.g. at its deadline): nothing more to send.
    }
  }

  // The answer, kept alive, and a complete second answer in the same write: a client that
  // reuses the connection without looking finds an answer waiting for its next request.
  void send_with_extra(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response, const std::string& body) {
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (!impl) return;
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    std::ostringstream bytes;
    response.write(bytes);
    bytes << body << extra_response_bytes();
    try {
      send_all(impl->socket(), bytes.str());
    } catch (const Poco::Exception&) {
      response.setKeepAlive(false);
    }
  }

  static void send_all(Poco::Net::StreamSocket& socket, const std::string& bytes) {
    std::size_t at = 0;
    while (at < bytes.size()) {
      const int sent = socket.sendBytes(bytes.data() + at, static_cast<int>(bytes.size() - at));
      if (sent <= 0) throw Poco::Net::NetException("nothing sent");
      at += static_cast<std::size_t>(sent);
    }
  }

  // A status list of `size` bytes, produced and written a piece at a time: with its
  // Content-Length, or chunked with none (the client finds the size only by counting).
  void send_huge(Poco::Net::HTTPServerResponse& response, std::int64_t size, bool chunked) {
    HugeListBody body(size);
    if (chunked)
      response.setChunkedTransferEncoding(true);
    else
      response.setContentLength64(body.size());
    std::ostream& out = response.send();
    std::string chunk;
    while (out && body.next(chunk)) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      if (service_.stopping()) break;
    }
    out.flush();
  }

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

  SimHandler& service_;
};

class SimRequestHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit SimRequestHandlerFactory(SimHandler& service) : service_(service) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new SimRequestHandler(service_);
  }

 private:
  SimHandler& service_;
};

}  // namespace

std::unique_ptr<Poco::ThreadPool> make_shared_server_pool(int servers) {
  // Each server's dispatcher keeps one thread once it has had a connection; the rest
  // come and go with the connections.
  const int capacity = std::max(1, servers) * kMaxThreadsPerServer;
  return std::make_unique<Poco::ThreadPool>("neptune-sim", /*minCapacity=*/2, capacity,
                                            /*idleTime=*/30);
}

SimServer::SimServer(SimHandler& service, const std::string& host, std::uint16_t port,
                     Poco::Net::Context::Ptr tls, int max_threads)
    : own_threads_(std::make_unique<Poco::ThreadPool>(2, max_threads)) {
  init(service, host, port, *own_threads_, std::move(tls), max_threads);
}

SimServer::SimServer(SimHandler& service, const std::string& host, std::uint16_t port,
                     Poco::ThreadPool& pool, Poco::Net::Context::Ptr tls) {
  init(service, host, port, pool, std::move(tls), kMaxThreadsPerServer);
}

void SimServer::init(SimHandler& service, const std::string& host, std::uint16_t port,
                     Poco::ThreadPool& pool, Poco::Net::Context::Ptr tls, int max_threads) {
  const Poco::Net::SocketAddress address(host, port);
  Poco::Net::ServerSocket socket =
      tls ? Poco::Net::SecureServerSocket(tls) : Poco::Net::ServerSocket();
  // SO_REUSEADDR for quick restarts, but never SO_REUSEPORT: a second simulator on the
  // same port must fail, not silently share its connections.
  socket.bind(address, /*reuseAddress=*/true, /*reusePort=*/false);
  socket.listen(64);
  const Poco::Net::SocketAddress bound = socket.address();
  port_ = bound.port();
  url_ = (tls ? "https://" : "http://") + bound.toString();
  loopback_ = bound.host().isLoopback();

  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  // Longer than any sensible poll interval, so a polling watchdog keeps one connection.
  params->setKeepAliveTimeout(Poco::Timespan(60, 0));
  params->setMaxKeepAliveRequests(0);
  params->setMaxThreads(max_threads);
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
