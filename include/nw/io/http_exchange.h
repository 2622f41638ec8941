#pragma once
// The one HTTP/1.1 exchange of the daemon: Neptune's status and cancel requests and every
// credential source's (STS, the container endpoint, the instance metadata service) go through
// it, so each of them gets the same guarantees:
//
//   - One absolute deadline for the whole exchange, as curl's --max-time and the AWS SDKs'
//     total timeouts: the DNS lookup (bounded, off the calling thread), connect, the TLS
//     handshake, the status line, every header and chunk-size line and the body. A peer that
//     drips one byte at a time costs at most the deadline (ExchangeReaper).
//   - A cap on the body, checked against Content-Length before reading and while reading; a
//     body shorter than its Content-Length is a transport failure, not an answer.
//   - Kept-alive connections, and never a stale answer: a connection with bytes waiting before
//     a request is sent, or left over after an answer, is closed (curl's "Excess found", Go's
//     transport), so an unsolicited response is never read as the answer to the next request.
//   - Every exception becomes a typed Failure whose message names the peer (`what`).
//
// Connections are per origin and pooled: calls from several threads at once each lease one.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/Context.h>

#include "nw/core/failure.h"
#include "nw/io/exchange_reaper.h"

namespace Poco::Net {
class HTTPRequest;
}

namespace nw {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Where requests go.
struct HttpOrigin {
  bool https = false;
  std::string host;  // dialled: a name (looked up within the deadline) or an address
  std::uint16_t port = 0;
  // The name the certificate must carry, the SNI and the Host header, when `host` is only the
  // address to dial (a tunnel's 127.0.0.1). Empty: `host`.
  std::string server_name;
  // The port of the Host header when `port` is only the port to dial (connect_to). 0: `port`.
  std::uint16_t server_port = 0;
  Poco::Net::Context::Ptr tls;  // required for https (make_client_tls_context)
};

struct HttpCall {
  std::string method;
  std::string target;  // path and query, as sent
  HttpHeaders headers;
  std::string body;
  std::string content_type;  // sent (with Content-Length) when set
  std::string what;          // names the request in failures, e.g. "STS AssumeRoleWithWebIdentity"
};

// Bytes of capacity an answer's body keeps past its end when its length was announced, so that
// a parser that reads ahead (simdjson reads up to 64 bytes past its input) can read it where it
// is instead of copying it.
inline constexpr std::size_t kAnswerPadding = 64;

struct HttpAnswer {
  int status = 0;
  std::string body;
  std::string content_type;
};

struct ExchangeLimits {
  std::chrono::steady_clock::time_point deadline;
  std::size_t max_body_bytes = 1u << 20;
};

// Looks a host name up (blocking); the exchange runs it off its own thread and stops waiting at
// the deadline. Returns a numeric address, or a Failure. Injected so that tests can make DNS
// as slow as they like.
using HostResolver = std::function<Result<std::string>(const std::string& host)>;
HostResolver system_resolver();

// Runs `resolver` for `host` on a thread of its own and waits for it until `deadline` (or
// until `reaper`, if given, is aborting). An address literal is returned as it is. At most a
// few lookups may be pending at once: when DNS does not answer, later ones fail at once
// rather than piling up threads.
Result<std::string> resolve_within(const HostResolver& resolver, const std::string& host,
                                   std::chrono::steady_clock::time_point deadline,
                                   const ExchangeReaper* reaper = nullptr);

class HttpConnections {
 public:
  // `max_idle`: connections kept alive for later calls. `reaper`: null means the process's.
  HttpConnections(HttpOrigin origin, std::shared_ptr<ExchangeReaper> reaper,
                  std::size_t max_idle = 2, HostResolver resolver = system_resolver());
  ~HttpConnections();
  HttpConnections(const HttpConnections&) = delete;
  HttpConnections& operator=(const HttpConnections&) = delete;

  // `prepare` sees the request as it will be sent (Host, Content-Type and Content-Length set)
  // and may add headers, e.g. a signature; a Failure from it sends nothing.
  using Prepare = std::function<std::optional<Failure>(Poco::Net::HTTPRequest&)>;
  // A streamed answer (etcd's watch: one JSON message per line, for as long as the watch
  // lasts). When given, the body is handed over piece by piece as it arrives instead of being
  // collected in the answer, and the body cap does not apply (the sink bounds what it keeps).
  // It returns false to stop reading; the connection is then closed, never reused. The
  // deadline still ends the exchange: a stream is read in windows, each its own exchange.
  using BodySink = std::function<bool(const char* data, std::size_t size)>;
  Result<HttpAnswer> exchange(const HttpCall& call, const ExchangeLimits& limits,
                              const Prepare& prepare = {}, const BodySink& body_sink = {});

  const HttpOrigin& origin() const { return origin_; }

  class Session;  // a pooled connection (defined where Poco is)

 private:
  std::unique_ptr<Session> lease();
  void give_back(std::unique_ptr<Session> session);
  // `reusable`: the connection may go back to the pool (a complete answer, nothing left over).
  Result<HttpAnswer> exchange_on(Session& session, const HttpCall& call,
                                 const ExchangeLimits& limits, const Prepare& prepare,
                                 const BodySink& body_sink, bool& reusable);

  HttpOrigin origin_;
  std::shared_ptr<ExchangeReaper> reaper_;
  std::size_t max_idle_;
  HostResolver resolver_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Session>> idle_;
};

}  // namespace nw
