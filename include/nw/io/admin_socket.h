#pragma once
// The admin socket (`[watchdog] admin_socket`): a Unix stream socket on which operators' tools
// (`neptune-watchdog status`, `top`, `cancel`, `protect`, `pause`, `resume`) talk to the
// running daemon. One request per connection: a line of JSON (at most kMaxAdminRequest bytes,
// within kAdminRequestDeadline of the connect), one answer, then the daemon closes.
//
// Who may ask: the peer's credentials as the kernel gives them (SO_PEERCRED), never anything
// the client says. Root, the daemon's own user, and members of `group` (primary or
// supplementary group; the socket file is created mode 0660 with that group, so the file
// system refuses others before the daemon does). A peer that is refused gets one error line.
//
// Each accepted connection has a thread of its own, at most `max_connections` at once (an
// operation may wait for Neptune: a cancel's answer, at most 100 s; the cap leaves room for a
// `pause` while a few cancels wait); one past the cap is answered "busy" and closed at once. A
// client that sends nothing, garbage or an endless line is answered with an error and disconnected
// within the deadline, and never holds more than its own thread.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace nw {

inline constexpr std::size_t kMaxAdminRequest = 64 * 1024;
inline constexpr std::chrono::milliseconds kAdminRequestDeadline{1000};

// Who is on the other end of an admin connection.
struct AdminPeer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, from /proc/PID/status when readable
  std::string name;           // the user's name, or "uid 1001"
};

// Whether `peer` may use the socket of a daemon running as `self`.
bool admin_peer_allowed(const AdminPeer& peer, uid_t self, std::optional<gid_t> group);

// The socket cannot be created, e.g. "cannot bind /run/x/admin.sock: Permission denied", or
// another daemon answers on it.
struct AdminSocketError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct AdminSocketOptions {
  std::string path;
  std::optional<gid_t> group;  // the socket file's group, and who besides root and us may ask
  std::size_t max_connections = 8;
};

class AdminSocketServer {
 public:
  // The answer to one request line (without its newline) from `peer`, already authorised.
  // Runs on the connection's thread; may block (a cancel waits for Neptune's answer).
  using Handler = std::function<std::string(const std::string& request, const AdminPeer& peer)>;

  // Creates the socket (replacing a stale one nobody answers on) and starts serving.
  AdminSocketServer(AdminSocketOptions options, Handler handler);
  // Stops accepting, ends the connections (their handlers' answers are dropped once their
  // threads return), removes the socket file.
  ~AdminSocketServer();
  AdminSocketServer(const AdminSocketServer&) = delete;
  AdminSocketServer& operator=(const AdminSocketServer&) = delete;

  const std::string& path() const { return options_.path; }

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void accept_loop();
  void serve(Connection& connection);
  void reap(bool all);

  AdminSocketOptions options_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd that ends accept_loop's poll()
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::list<Connection> connections_;
  std::thread acceptor_;
};

// The client's side: sends `request` (one line) to the daemon at `path` and returns its whole
// answer, or nullopt with `error` set ("no daemon answers on PATH: Connection refused").
std::optional<std::string> admin_exchange(const std::string& path, const std::string& request,
                                          std::chrono::milliseconds timeout, std::string& error);

}  // namespace nw
