#include "nw/io/admin_socket.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sstream>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>

#include "nw/io/admin_protocol.h"

namespace nw {

namespace {

constexpr std::chrono::milliseconds kAnswerDeadline{10000};

sockaddr_un address_of(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path))
    throw AdminSocketError("the path " + path + " is too long for a Unix socket (at most " +
                           std::to_string(sizeof(address.sun_path) - 1) + " bytes)");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// Writes all of `data` before `deadline`; false when the peer went away or was too slow.
bool write_all(int fd, const std::string& data, std::chrono::steady_clock::time_point deadline) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      const int left = remaining_ms(deadline);
      if (left == 0 || ::poll(&p, 1, left) <= 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

// A refusal written by the socket itself, in the protocol's words, on one line.
std::string error_answer(const std::string& message) {
  return admin_error(message) + "\n";
}

AdminPeer peer_of(int fd) {
  AdminPeer peer;
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    peer.uid = static_cast<uid_t>(-1);
    peer.gid = static_cast<gid_t>(-1);
    peer.name = "unknown peer";
    return peer;
  }
  peer.pid = cred.pid;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  // Supplementary groups: from /proc, where the daemon may see the peer's process.
  std::ifstream status("/proc/" + std::to_string(cred.pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream groups(line.substr(7));
    for (long g; groups >> g;) peer.groups.push_back(static_cast<gid_t>(g));
    break;
  }
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwuid_r(cred.uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found)
    peer.name = found->pw_name;
  else
    peer.name = "uid " + std::to_string(cred.uid);
  return peer;
}

}  // namespace

bool admin_peer_allowed(const AdminPeer& peer, uid_t self, std::optional<gid_t> group) {
  if (peer.uid == 0 || peer.uid == self) return true;
  if (!group) return false;
  return peer.gid == *group ||
         std::find(peer.groups.begin(), peer.groups.end(), *group) != peer.groups.end();
}

AdminSocketServer::AdminSocketServer(AdminSocketOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {
  const sockaddr_un address = address_of(options_.path);
  // A socket file left by a daemon that died is replaced; one another daemon answers on is not.
  struct stat st {};
  if (::lstat(options_.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw AdminSocketError(options_.path + " exists and is not a socket; not replacing it");
    std::string ignored;
    if (admin_exchange(options_.path, "", std::chrono::milliseconds(200), ignored))
      throw AdminSocketError("another neptune-watchdog answers on " + options_.path);
    ::unlink(options_.path.c_str());
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0)
    throw AdminSocketError(std::string("cannot create a Unix socket: ") + std::strerror(errno));
  // Nobody may connect before the mode and group are right: bind under a umask of 0177.
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int bind_error = errno;
  ::umask(old_mask);
  const auto fail = [this](const std::string& what) {
    ::close(listen_fd_);
    throw AdminSocketError(what);
  };
  if (bound != 0) fail("cannot bind " + options_.path + ": " + std::strerror(bind_error));
  if (options_.group &&
      ::chown(options_.path.c_str(), static_cast<uid_t>(-1), *options_.group) != 0)
    fail("cannot give " + options_.path + " its group: " + std::strerror(errno));
  if (::chmod(options_.path.c_str(), options_.group ? 0660 : 0600) != 0)
    fail("cannot set the mode of " + options_.path + ": " + std::strerror(errno));
  if (::listen(listen_fd_, 16) != 0)
    fail("cannot listen on " + options_.path + ": " + std::strerror(errno));
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) fail(std::string("cannot create an eventfd: ") + std::strerror(errno));
  acceptor_ = std::thread([this] { accept_loop(); });
}

AdminSocketServer::~AdminSocketServer() {
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto w = ::write(wake_fd_, &one, sizeof one);
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& c : connections_)
      if (!c.done) ::shutdown(c.fd, SHUT_RDWR);
  }
  reap(true);
  ::close(listen_fd_);
  ::close(wake_fd_);
  ::unlink(options_.path.c_str());
}

void AdminSocketServer::reap(bool all) {
  std::list<Connection> finished;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (all || it->done) {
        auto next = std::next(it);
        finished.splice(finished.end(), connections_, it);
        it = next;
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) {
    c.thread.join();
    ::close(c.fd);
  }
}

void AdminSocketServer::accept_loop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, 1000) < 0 && errno != EINTR) break;
    reap(false);
    if (stopping_) break;
    if (!(fds[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (connections_.size() >= options_.max_connections) {
      write_all(fd,
                error_answer("busy: " + std::to_string(options_.max_connections) +
                             " admin connections are open; try again"),
                std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
      ::close(fd);
      continue;
    }
    Connection& c = connections_.emplace_back();
    c.fd = fd;
    try {
      c.thread = std::thread([this, &c] {
        try {
          serve(c);
        } catch (const std::exception&) {
          // A handler that threw (out of memory, say) ends its connection, not the daemon.
        }
        // The peer sees the end now (its read returns, its writes fail); the descriptor is
        // closed by reap(), after the join, so that no other thread can be handed its number
        // while stop() may still shut it down.
        ::shutdown(c.fd, SHUT_RDWR);
        c.done = true;
      });
    } catch (const std::system_error&) {
      // No thread for it (the process is at its limit): the connection is refused.
      connections_.pop_back();
      ::close(fd);
    }
  }
}

void AdminSocketServer::serve(Connection& connection) {
  const int fd = connection.fd;
  const AdminPeer peer = peer_of(fd);
  const auto answer_deadline = [] { return std::chrono::steady_clock::now() + kAnswerDeadline; };
  // The request: one line, within the deadline counted from the connect. It is read before
  // anything is answered: closing a socket with unread input resets it, and the client would
  // see the reset instead of the answer.
  const auto deadline = std::chrono::steady_clock::now() + kAdminRequestDeadline;
  std::string request;
  char buffer[4096];
  for (;;) {
    const auto newline = request.find('\n');
    if (newline != std::string::npos) {
      request.resize(newline);
      break;
    }
    if (request.size() > kMaxAdminRequest) {
      write_all(fd,
                error_answer("request longer than " + std::to_string(kMaxAdminRequest) + " bytes"),
                answer_deadline());
      // What it still sends is not read: the close resets the connection.
      return;
    }
    pollfd p{fd, POLLIN, 0};
    const int left = remaining_ms(deadline);
    if (left == 0 || ::poll(&p, 1, left) <= 0) {
      write_all(fd, error_answer("no request line within 1 s"), answer_deadline());
      return;
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;  // the client went away
    request.append(buffer, static_cast<std::size_t>(n));
  }
  if (stopping_) return;
  if (!admin_peer_allowed(peer, ::geteuid(), options_.group)) {
    write_all(fd,
              error_answer("not authorised: " + peer.name +
                           " is neither root, the daemon's user, nor in the admin group"),
              answer_deadline());
    return;
  }
  std::string answer;
  try {
    answer = handler_(request, peer);
  } catch (const std::exception& e) {
    answer = error_answer(std::string("the daemon could not answer: ") + e.what());
  }
  if (answer.empty() || answer.back() != '\n') answer += '\n';
  write_all(fd, answer, answer_deadline());
}

std::optional<std::string> admin_exchange(const std::string& path, const std::string& request,
                                          std::chrono::milliseconds timeout, std::string& error) {
  sockaddr_un address{};
  try {
    address = address_of(path);
  } catch (const AdminSocketError& e) {
    error = e.what();
    return std::nullopt;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("cannot create a Unix socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error = "no daemon answers on " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (request.empty()) return std::string();  // only whether someone listens
  if (!write_all(fd, request + "\n", deadline)) {
    error = "the daemon on " + path + " did not take the request";
    return std::nullopt;
  }
  std::string answer;
  char buffer[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int left = remaining_ms(deadline);
    if (left == 0 || ::poll(&p, 1, left) <= 0) {
      error = "no answer from the daemon on " + path + " within " +
              std::to_string(timeout.count()) + " ms";
      return std::nullopt;
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    // A daemon that answered without reading all of a request (one too long, or "busy")
    // closes with input unread, and the kernel then ends the connection with a reset after the
    // answer: the answer stands.
    if (n < 0 && errno == ECONNRESET && answer.find('\n') != std::string::npos) return answer;
    if (n < 0) {
      error = "reading the daemon's answer on " + path + ": " + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) return answer;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace nw
