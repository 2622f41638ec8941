#include "nw/io/metrics_server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <list>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <variant>
#include <vector>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timestamp.h>

#include "nw/core/listen_address.h"

namespace nw {
namespace {

using Clock = std::chrono::steady_clock;

// A scrape's request line and headers are a few hundred bytes. A larger header is refused
// (431) rather than kept: with the caps, this bounds the memory clients can take.
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr int kBacklog = 64;
// Accepts taken from the backlog per wake-up, so that a flood of connections cannot starve
// the ones already accepted.
constexpr int kAcceptsPerWake = 64;
// Out of descriptors (EMFILE): the listener stays readable, so wait this long before trying
// again rather than spin; the pending connections wait in the backlog.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

constexpr const char* kPlain = "text/plain; charset=utf-8";

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

struct Response {
  int status = 200;
  const char* reason = "OK";
  std::string content_type = kPlain;
  std::string body;
  bool allow = false;  // a 405 names the methods that are allowed
};

Response text(int status, const char* reason, std::string body) {
  Response r;
  r.status = status;
  r.reason = reason;
  r.body = std::move(body);
  return r;
}

// The bytes on the wire; the headers Poco's server sent, so that clients see no difference.
std::string serialize(const Response& r, const std::string& version, bool head) {
  std::string out = version + " " + std::to_string(r.status) + " " + r.reason + "\r\n";
  out += "Date: " +
         Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::HTTP_FORMAT) +
         "\r\n";
  out += "Connection: Close\r\n";
  if (r.allow) out += "Allow: GET, HEAD\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Cache-Control: no-store\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n";
  if (!head) out += r.body;
  return out;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

struct Request {
  bool valid = false;  // false: 400
  std::string method;
  std::string target;
  std::string version;  // "HTTP/1.0", "HTTP/1.1", ...
};

// A complete header: the request line, then fields up to the empty line. The fields are not
// used, but each must look like one ("name: value", or a continuation).
Request parse_request(const std::string& header) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < header.size();) {
    std::size_t end = header.find('\n', start);
    if (end == std::string::npos) end = header.size();
    std::size_t stop = end;
    if (stop > start && header[stop - 1] == '\r') --stop;
    if (stop == start) break;  // the empty line
    lines.push_back(header.substr(start, stop - start));
    start = end + 1;
  }
  Request request;
  if (lines.empty()) return request;
  std::vector<std::string> words;  // method, target and version, separated by blanks
  const std::string& line = lines.front();
  for (std::size_t i = 0; i < line.size();) {
    while (i < line.size() && is_blank(line[i])) ++i;
    std::size_t j = i;
    while (j < line.size() && !is_blank(line[j])) ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  if (words.size() != 3 || words[2].rfind("HTTP/", 0) != 0) return request;
  const bool fields_ok = std::all_of(lines.begin() + 1, lines.end(), [](const std::string& l) {
    return is_blank(l.front()) || l.find(':') != std::string::npos;
  });
  if (!fields_ok) return request;
  request.valid = true;
  request.method = words[0];
  request.target = words[1];
  request.version = words[2];
  return request;
}

}  // namespace

struct MetricsServer::Loop {
  enum class Phase {
    reading,    // the request line and headers, until the deadline
    writing,    // the response, until the peer has taken it into its socket
    lingering,  // sent and shut down for writing; reading until the peer closes, so that
                // what it sent after the header does not turn the close into a reset that
                // could destroy the response before the peer read it
  };

  struct Connection {
    int fd = -1;
    std::string peer;  // the address's bytes, without the port
    Clock::time_point deadline;
    Phase phase = Phase::reading;
    std::string in;           // the request so far
    std::size_t scanned = 0;  // where in `in` the line being looked at starts
    std::string out;          // the response
    std::size_t sent = 0;     // of `out`
  };
  using Connections = std::list<Connection>;  // in the order they were accepted

  Loop(Poco::Net::ServerSocket s, const Metrics& m, HealthCheck h, MetricsServerOptions o)
      : socket(std::move(s)), metrics(m), health(std::move(h)), options(o) {
    options.connections_per_peer = std::max<std::size_t>(1, options.connections_per_peer);
    options.connections = std::max<std::size_t>(1, options.connections);
  }

  ~Loop() {
    stopping = true;
    const std::uint64_t one = 1;
    if (wake_fd >= 0) (void)!::write(wake_fd, &one, sizeof one);
    if (thread.joinable()) thread.join();
    for (Connection& c : connections) ::close(c.fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void run() {
    const int listen_fd = socket.impl()->sockfd();
    Clock::time_point accept_paused_until{};
    std::vector<pollfd> fds;
    std::vector<Connections::iterator> polled;
    while (!stopping) {
      const auto now = Clock::now();
      const bool accepting = now >= accept_paused_until;
      fds.clear();
      polled.clear();
      fds.push_back({wake_fd, POLLIN, 0});
      fds.push_back({accepting ? listen_fd : -1, POLLIN, 0});  // poll() skips a negative fd
      Clock::time_point next = accepting ? Clock::time_point::max() : accept_paused_until;
      for (auto it = connections.begin(); it != connections.end(); ++it) {
        fds.push_back(
            {it->fd, static_cast<short>(it->phase == Phase::writing ? POLLOUT : POLLIN), 0});
        polled.push_back(it);
        next = std::min(next, it->deadline);
      }
      int timeout = -1;
      if (next != Clock::time_point::max()) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
        timeout = static_cast<int>(std::clamp<decltype(ms)>(ms, 0, 60'000));
      }
      if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) continue;
      if (stopping) break;

      const auto after = Clock::now();
      for (std::size_t i = 0; i < polled.size(); ++i) {
        Connection& c = *polled[i];
        bool open = true;
        try {
          if (fds[i + 2].revents != 0) open = serve(c, after);
        } catch (const std::exception&) {
          open = false;  // out of memory, say: this connection is dropped, the server goes on
        }
        // Checked also when the peer sent something just now: a byte every so often does not
        // move the deadline.
        if (!open || after >= c.deadline) close(polled[i]);
      }
      if (accepting && fds[1].revents != 0) accept_pending(listen_fd, after, accept_paused_until);
    }
  }

  // Moves the connection on as far as it can go without waiting; false when it is done.
  bool serve(Connection& c, Clock::time_point now) {
    switch (c.phase) {
      case Phase::reading:
        return read_request(c, now);
      case Phase::writing:
        return write_response(c, now);
      case Phase::lingering:
        return drain(c);
    }
    return false;
  }

  bool read_request(Connection& c, Clock::time_point now) {
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
      if (n == 0) return false;  // closed before the header was complete
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      c.in.append(buffer, static_cast<std::size_t>(n));
      // Empty lines before the request line are skipped, as HTTP/1.1 asks of a server.
      if (c.scanned == 0) {
        const std::size_t first = c.in.find_first_not_of("\r\n");
        c.in.erase(0, first == std::string::npos ? c.in.size() : first);
      }
      const std::size_t end = header_end(c);
      if ((end != 0 ? end : c.in.size()) > kMaxHeaderBytes)
        return respond(c, text(431, "Request Header Fields Too Large", "header too large\n"),
                       nullptr, now);
      if (end != 0) {
        c.in.resize(end);
        const Request request = parse_request(c.in);
        return respond(c, answer(request), &request, now);
      }
    }
  }

  // Just past the empty line that ends the header, or 0 while it has not arrived. Resumes
  // where the last call stopped, so that a header sent a byte at a time is scanned once.
  static std::size_t header_end(Connection& c) {
    for (;;) {
      const std::size_t newline = c.in.find('\n', c.scanned);
      if (newline == std::string::npos) return 0;
      const std::size_t length = newline - c.scanned;
      const bool empty = length == 0 || (length == 1 && c.in[c.scanned] == '\r');
      c.scanned = newline + 1;
      if (empty) return c.scanned;
    }
  }

  Response answer(const Request& request) const {
    if (!request.valid) return text(400, "Bad Request", "bad request\n");
    const std::string& method = request.method;
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (path != "/metrics" && path != "/healthz") return text(404, "Not Found", "not found\n");
    if (method != "GET" && method != "HEAD") {
      Response r = text(405, "Method Not Allowed", "method not allowed\n");
      r.allow = true;
      return r;
    }
    try {
      if (path == "/metrics") {
        Response r = text(200, "OK", metrics.render());
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return r;
      }
      const HealthReport report = health();
      if (report.healthy && !report.degraded.empty())
        return text(200, "OK", "degraded: " + report.degraded + "\n");
      if (report.healthy) return text(200, "OK", "ok\n");
      return text(503, "Service Unavailable", report.reason + "\n");
    } catch (const std::exception& e) {
      return text(500, "Internal Server Error", std::string(e.what()) + "\n");
    }
  }

  // `request` is null when there is none to speak of (a header too large).
  bool respond(Connection& c, const Response& r, const Request* request, Clock::time_point now) {
    const bool http10 = request && request->version == "HTTP/1.0";
    const bool head = request && request->valid && request->method == "HEAD";
    c.out = serialize(r, http10 ? "HTTP/1.0" : "HTTP/1.1", head);
    c.sent = 0;
    c.in = std::string();
    c.phase = Phase::writing;
    c.deadline = now + options.header_timeout;
    return write_response(c, now);
  }

  bool write_response(Connection& c, Clock::time_point now) {
    while (c.sent < c.out.size()) {
      const ssize_t n =
          ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      c.sent += static_cast<std::size_t>(n);
    }
    c.out = std::string();
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Phase::lingering;
    c.deadline = now + options.header_timeout;
    return drain(c);
  }

  // Reads and drops what the peer still sends; false once it has closed. At most 64 KiB per
  // call, so that a peer sending without pause cannot keep the loop from the others.
  static bool drain(Connection& c) {
    char buffer[4096];
    for (int reads = 0; reads < 16;) {
      const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      ++reads;
    }
    return true;
  }

  void accept_pending(int listen_fd, Clock::time_point now, Clock::time_point& paused_until) {
    for (int i = 0; i < kAcceptsPerWake; ++i) {
      sockaddr_storage address{};
      socklen_t length = sizeof address;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&address), &length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) paused_until = now + kAcceptPause;
        return;
      }
      try {
        admit(fd, peer_of(address), now);
      } catch (const std::exception&) {
        ::close(fd);
      }
    }
  }

  // The peer's address without the port; an IPv4 peer of a dual-stack listener is the same
  // peer as over IPv4.
  static std::string peer_of(const sockaddr_storage& address) {
    if (address.ss_family == AF_INET) {
      const auto& a = reinterpret_cast<const sockaddr_in&>(address).sin_addr;
      return std::string(reinterpret_cast<const char*>(&a), sizeof a);
    }
    if (address.ss_family == AF_INET6) {
      const auto& a = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
      const char* bytes = reinterpret_cast<const char*>(&a);
      if (IN6_IS_ADDR_V4MAPPED(&a)) return std::string(bytes + 12, 4);
      return std::string(bytes, sizeof a);
    }
    return std::string();
  }

  void admit(int fd, std::string peer, Clock::time_point now) {
    const auto from_peer = static_cast<std::size_t>(
        std::count_if(connections.begin(), connections.end(),
                      [&](const Connection& c) { return c.peer == peer; }));
    if (from_peer >= options.connections_per_peer)
      close(oldest([&](const Connection& c) { return c.peer == peer; }));
    else if (connections.size() >= options.connections)
      close(oldest([](const Connection&) { return true; }));
    Connection c;
    c.fd = fd;
    c.peer = std::move(peer);
    c.deadline = now + options.header_timeout;
    connections.push_back(std::move(c));
  }

  // The oldest connection that `matches` still reading its request, else the oldest that
  // matches: one already answered is likelier to be a client that plays by the rules.
  template <class Match>
  Connections::iterator oldest(Match matches) {
    const auto reading = std::find_if(connections.begin(), connections.end(), [&](const auto& c) {
      return matches(c) && c.phase == Phase::reading;
    });
    if (reading != connections.end()) return reading;
    return std::find_if(connections.begin(), connections.end(), matches);
  }

  void close(Connections::iterator it) {
    ::close(it->fd);
    connections.erase(it);
  }

  Poco::Net::ServerSocket socket;
  const Metrics& metrics;
  const HealthCheck health;
  MetricsServerOptions options;
  Connections connections;  // the loop's thread's alone
  int wake_fd = -1;         // written once, when the server stops
  std::atomic<bool> stopping{false};
  std::thread thread;  // last: started once everything above is in place
};

MetricsServer::MetricsServer(const std::string& listen, const Metrics& metrics, HealthCheck health,
                             MetricsServerOptions options) {
  const auto parsed = parse_listen_address(listen);
  if (const auto* why = std::get_if<std::string>(&parsed))
    throw MetricsListenError("invalid listen address \"" + listen + "\": " + *why);
  const auto& [host, port] = std::get<ListenAddress>(parsed);
  Poco::Net::ServerSocket socket;
  try {
    // SO_REUSEADDR for a quick restart, but not SO_REUSEPORT: a second watchdog must fail
    // to bind rather than silently share the port (ServerSocket's constructor sets both).
    socket.bind(Poco::Net::SocketAddress(host, port), true, false);
    socket.listen(kBacklog);
    socket.setBlocking(false);  // accept4() after poll() must not wait for a peer that left
  } catch (const Poco::Exception& e) {
    throw MetricsListenError("cannot listen on " + listen + ": " + bind_error_text(e, host, port),
                             e.code() == EADDRINUSE);
  }
  port_ = socket.address().port();

  loop_ = std::make_unique<Loop>(std::move(socket), metrics, std::move(health), options);
  loop_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop_->wake_fd < 0)
    throw MetricsListenError("cannot listen on " + listen + ": " + std::strerror(errno));
  loop_->thread = std::thread([loop = loop_.get()] { loop->run(); });
}

MetricsServer::~MetricsServer() = default;

}  // namespace nw
