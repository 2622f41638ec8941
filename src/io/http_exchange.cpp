#include "nw/io/http_exchange.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <istream>
#include <ostream>
#include <poll.h>
#include <thread>
#include <type_traits>

#include <Poco/Net/DNS.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>

namespace nw {

using std::chrono::steady_clock;

// --- bounded DNS -------------------------------------------------------------------------------

HostResolver system_resolver() {
  return [](const std::string& host) -> Result<std::string> {
    try {
      return Poco::Net::DNS::resolveOne(host).toString();
    } catch (const Poco::Exception& e) {
      return Failure{FailureKind::transport, 0, "",
                     "cannot resolve " + host + ": " + e.displayText()};
    }
  };
}

namespace {

// Lookups still running on their threads. When DNS does not answer at all, every exchange
// would leave one behind per request_timeout; past this many, exchanges fail at once.
constexpr int kMaxPendingLookups = 8;
std::atomic<int> pending_lookups{0};

struct Lookup {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<Result<std::string>> result;
};

}  // namespace

Result<std::string> resolve_within(const HostResolver& resolver, const std::string& host,
                                   steady_clock::time_point deadline,
                                   const ExchangeReaper* reaper) {
  Poco::Net::IPAddress literal;
  if (Poco::Net::IPAddress::tryParse(host, literal)) return host;
  if (pending_lookups.load() >= kMaxPendingLookups)
    return Failure{FailureKind::timeout, 0, "",
                   "DNS lookup of " + host + " not started: " + std::to_string(kMaxPendingLookups) +
                       " earlier lookups are still unanswered"};
  auto lookup = std::make_shared<Lookup>();
  ++pending_lookups;
  // Detached: getaddrinfo cannot be interrupted, and the exchange must not wait past its
  // deadline. The thread owns what it touches (`lookup`, copies of the resolver and the host).
  std::thread([lookup, resolver, host] {
    Result<std::string> result = resolver(host);
    {
      std::lock_guard<std::mutex> lock(lookup->mutex);
      lookup->result.emplace(std::move(result));
    }
    lookup->done.notify_all();
    --pending_lookups;
  }).detach();
  std::unique_lock<std::mutex> lock(lookup->mutex);
  // In slices, so that shutdown (abort_all) is seen within one.
  for (;;) {
    const auto slice_end = std::min(deadline, steady_clock::now() + std::chrono::milliseconds(100));
    if (lookup->done.wait_until(lock, slice_end, [&] { return lookup->result.has_value(); }))
      return *lookup->result;
    if (reaper && reaper->aborting())
      return Failure{FailureKind::aborted, 0, "",
                     "DNS lookup of " + host + " abandoned: shutting down"};
    if (steady_clock::now() >= deadline)
      return Failure{FailureKind::timeout, 0, "",
                     "DNS lookup of " + host + " not answered within request_timeout"};
  }
}

// --- sessions ----------------------------------------------------------------------------------

// What the exchange needs of a Poco session beyond its public interface.
class HttpConnections::Session {
 public:
  virtual ~Session() = default;
  virtual Poco::Net::HTTPClientSession& http() = 0;
  // Takes a connection the exchange made itself (under the reaper's watch from the start).
  virtual void adopt(const Poco::Net::StreamSocket& socket) = 0;
  // Bytes the server sent that no request asked for yet (or EOF: the server closed it).
  // Without `probe_socket`, only what Poco has buffered already (no system call).
  virtual bool has_leftover(bool probe_socket) = 0;
};

namespace {

template <class Base>
class HookedSession final : public Base, public HttpConnections::Session {
 public:
  template <class... Args>
  explicit HookedSession(Args&&... args) : Base(std::forward<Args>(args)...) {}

  Poco::Net::HTTPClientSession& http() override { return *this; }

  void adopt(const Poco::Net::StreamSocket& socket) override { this->attachSocket(socket); }

  bool has_leftover(bool probe_socket) override {
    if (this->buffered() > 0) return true;
    if (!probe_socket || !this->connected()) return false;
    // TLS: a record already decrypted (for a plain socket, available() is one more ioctl that
    // the poll below makes redundant).
    if constexpr (std::is_same_v<Base, Poco::Net::HTTPSClientSession>)
      if (this->socket().available() > 0) return true;
    // One poll(2) with no wait. Poco's Socket::poll makes, fills and closes an epoll instance
    // per call: four system calls, twice per exchange.
    pollfd readable{this->socket().impl()->sockfd(), POLLIN, 0};
    return ::poll(&readable, 1, 0) != 0;  // data, EOF, an error: the connection is not reused
  }

 protected:
  // Poco reconnects on its own when a send on a kept-alive connection fails (and would look
  // the host up again, and read from a socket nobody watches). Every connection is the
  // exchange's own: this one fails instead, and the caller's retry policy decides.
  void connect(const Poco::Net::SocketAddress&) override {
    throw Poco::Net::ConnectionResetException("the connection was lost while sending");
  }
};

}  // namespace

HttpConnections::HttpConnections(HttpOrigin origin, std::shared_ptr<ExchangeReaper> reaper,
                                 std::size_t max_idle, HostResolver resolver)
    : origin_(std::move(origin)),
      reaper_(reaper ? std::move(reaper) : ExchangeReaper::process_default()),
      max_idle_(max_idle),
      resolver_(std::move(resolver)) {
  if (origin_.server_name.empty()) origin_.server_name = origin_.host;
}

HttpConnections::~HttpConnections() = default;

std::unique_ptr<HttpConnections::Session> HttpConnections::lease() {
  for (;;) {
    std::unique_ptr<Session> idle;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (idle_.empty()) break;
      idle = std::move(idle_.back());
      idle_.pop_back();
    }
    // Bytes waiting on an idle connection are no answer to the request about to be sent (or
    // the server closed it): the connection goes, with whatever Poco buffered of it.
    if (!idle->has_leftover(true)) return idle;
  }
  std::unique_ptr<Session> session;
  if (origin_.https) {
    session = std::make_unique<HookedSession<Poco::Net::HTTPSClientSession>>(
        origin_.host, origin_.port, origin_.tls);
  } else {
    session =
        std::make_unique<HookedSession<Poco::Net::HTTPClientSession>>(origin_.host, origin_.port);
  }
  session->http().setKeepAlive(true);
  // Longer than any sensible poll interval, so that a connection is reused between polls.
  session->http().setKeepAliveTimeout(Poco::Timespan(300, 0));
  return session;
}

void HttpConnections::give_back(std::unique_ptr<Session> session) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(session));
}

Result<HttpAnswer> HttpConnections::exchange(const HttpCall& call, const ExchangeLimits& limits,
                                             const Prepare& prepare, const BodySink& body_sink) {
  std::unique_ptr<Session> session = lease();
  bool reusable = false;
  Result<HttpAnswer> answer = exchange_on(*session, call, limits, prepare, body_sink, reusable);
  // A connection that may carry stale bytes is closed with its buffer, never reused.
  if (reusable) give_back(std::move(session));
  return answer;
}

Result<HttpAnswer> HttpConnections::exchange_on(Session& session, const HttpCall& call,
                                                const ExchangeLimits& limits,
                                                const Prepare& prepare, const BodySink& body_sink,
                                                bool& reusable) {
  using Poco::Net::HTTPRequest;
  const std::string what = call.what.empty() ? "" : call.what + ": ";
  const auto fail = [&](FailureKind kind, int status, const std::string& message) {
    return Failure{kind, status, "", what + message};
  };
  const auto remaining_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(limits.deadline -
                                                                 steady_clock::now())
        .count();
  };
  if (reaper_->aborting()) return fail(FailureKind::aborted, 0, "not sent: shutting down");
  if (remaining_us() <= 0)
    return fail(FailureKind::timeout, 0, "request_timeout spent before the request could be sent");

  Poco::Net::HTTPClientSession& http = session.http();
  ExchangeReaper::Watch watch;
  reusable = false;
  const auto run = [&]() -> Result<HttpAnswer> {
    if (http.connected()) {
      watch = reaper_->watch(http.socket().impl()->sockfd(), limits.deadline);
    } else {
      auto address = resolve_within(resolver_, origin_.host, limits.deadline, reaper_.get());
      if (!address) return fail(address.failure().kind, 0, address.failure().message);
      // The socket is watched from before the connect: a SYN that goes unanswered, a TLS
      // handshake that drips, all end at the deadline (or at abort_all()).
      const Poco::Net::SocketAddress peer(address.value(), origin_.port);
      Poco::Net::StreamSocket socket(peer.family());
      watch = reaper_->watch(socket.impl()->sockfd(), limits.deadline);
      socket.connect(peer, Poco::Timespan(std::max<long long>(1000, remaining_us())));
      socket.setNoDelay(true);
      // Per-read timeouts, set once for the connection's life: only a second line behind the
      // reaper, which holds every exchange to its own deadline. At least a minute, so that a
      // later exchange with more time left is never cut short by them.
      const Poco::Timespan io(std::max<long long>(60'000'000, remaining_us()));
      socket.setReceiveTimeout(io);
      socket.setSendTimeout(io);
      if (origin_.https) {
        // Verifies the chain and that the certificate names server_name (also the SNI).
        session.adopt(
            Poco::Net::SecureStreamSocket::attach(socket, origin_.server_name, origin_.tls));
      } else {
        session.adopt(socket);
      }
    }
    // The reaper holds every exchange to its deadline. The per-read timeouts set at connect
    // are only a second line, so they are not set again for each exchange (two system calls).

    HTTPRequest request(call.method, call.target, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(origin_.server_name,
                    origin_.server_port != 0 ? origin_.server_port : origin_.port);
    request.set("User-Agent", "neptune-watchdog/" NW_VERSION);
    request.setKeepAlive(true);
    for (const auto& [name, value] : call.headers) request.set(name, value);
    if (!call.content_type.empty()) request.setContentType(call.content_type);
    if (!call.content_type.empty() || !call.body.empty() || call.method == HTTPRequest::HTTP_POST ||
        call.method == HTTPRequest::HTTP_PUT)
      request.setContentLength(static_cast<std::streamsize>(call.body.size()));
    if (prepare) {
      if (auto refused = prepare(request)) {
        reusable = true;  // nothing was sent
        return *refused;
      }
    }
    http.sendRequest(request) << call.body;

    Poco::Net::HTTPResponse response;
    std::istream& in = http.receiveResponse(response);
    const int status = static_cast<int>(response.getStatus());
    if (response.hasContentLength() &&
        response.getContentLength64() > static_cast<Poco::Int64>(limits.max_body_bytes))
      return fail(FailureKind::bad_response, status,
                  "response of " + std::to_string(response.getContentLength64()) +
                      " bytes exceeds the limit of " + std::to_string(limits.max_body_bytes));
    in.exceptions(std::ios::badbit);
    HttpAnswer answer{status, {}, response.getContentType()};
    if (body_sink) {
      char piece[16384];
      while (in.peek() != std::char_traits<char>::eof()) {
        const auto n = in.readsome(piece, sizeof piece);
        if (!body_sink(piece, static_cast<std::size_t>(n))) return answer;  // not reusable
      }
      reusable = response.getKeepAlive() && !session.has_leftover(false);
      return answer;
    }
    // Sized once: growing by doubling would copy the body and could hold twice its size.
    if (response.hasContentLength() && response.getContentLength64() > 0)
      answer.body.reserve(static_cast<std::size_t>(response.getContentLength64()) + kAnswerPadding);
    char buffer[16384];
    while (in.peek() != std::char_traits<char>::eof()) {
      const auto n = in.readsome(buffer, sizeof buffer);
      answer.body.append(buffer, static_cast<std::size_t>(n));
      if (answer.body.size() > limits.max_body_bytes)
        return fail(
            FailureKind::bad_response, status,
            "response exceeds the limit of " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    if (response.hasContentLength() &&
        static_cast<Poco::Int64>(answer.body.size()) != response.getContentLength64())
      return fail(FailureKind::transport, status,
                  "connection closed after " + std::to_string(answer.body.size()) + " of " +
                      std::to_string(response.getContentLength64()) + " bytes");
    // More than the answer arrived: whatever it is, it must not become the next answer. What
    // is already in Poco's buffer is checked here; the socket itself before the connection's
    // next request (one system call per exchange, not two), which also catches what arrives
    // while it is idle.
    reusable = response.getKeepAlive() && !session.has_leftover(false);
    return answer;
  };

  Result<HttpAnswer> result = Failure{};
  try {
    result = run();
  } catch (const Poco::TimeoutException&) {
    result = fail(FailureKind::timeout, 0, "no answer within request_timeout");
  } catch (const Poco::Net::SSLException& e) {
    // A certificate that does not verify will not verify on the next try either (includes
    // CertificateValidationException).
    result = fail(FailureKind::tls, 0,
                  "handshake with " + origin_.server_name + ":" + std::to_string(origin_.port) +
                      " failed: " + e.displayText());
  } catch (const Poco::Exception& e) {
    result = fail(FailureKind::transport, 0, e.displayText());
  } catch (const std::exception& e) {
    result = fail(FailureKind::transport, 0, e.what());
  }
  // The reaper is done with the socket before it can be closed or reused.
  switch (watch.finish()) {
    case ExchangeReaper::Fate::running:
      break;
    case ExchangeReaper::Fate::expired:
      reusable = false;
      result = fail(FailureKind::timeout, 0, "no answer within request_timeout");
      break;
    case ExchangeReaper::Fate::aborted:
      reusable = false;
      result = fail(FailureKind::aborted, 0, "abandoned: shutting down");
      break;
  }
  if (!reusable) http.reset();
  return result;
}

}  // namespace nw
