// A program run without a shell: spawn, feed, read within the deadline, reap.
#include "nw/io/child_program.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace nw {
namespace {

using std::chrono::steady_clock;

Failure failure(const std::string& message) {
  return Failure{FailureKind::service_error, 0, "", message};
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

int millis_until(steady_clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

// The daemon's environment with `added` entries in place of variables of the same name.
std::vector<std::string> environment_with(const std::vector<std::string>& added) {
  std::vector<std::string> out;
  const auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const bool replaced = std::any_of(added.begin(), added.end(), [&](const std::string& a) {
      return name_of(a) == name_of(entry);
    });
    if (!replaced) out.push_back(entry);
  }
  out.insert(out.end(), added.begin(), added.end());
  return out;
}

// Writes to a pipe whose reader may be gone without the process taking SIGPIPE (the daemon
// blocks it everywhere; a test process does not): the signal is blocked on this thread for
// the write, and one it raised is taken off the thread before the mask is restored.
ssize_t write_no_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  const ssize_t n = ::write(fd, data, size);
  const int saved = errno;
  if (n < 0 && saved == EPIPE) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

}  // namespace

Result<ProgramExit> run_program(const ProgramRun& run, steady_clock::time_point deadline) {
  if (run.argv.empty() || run.argv.front().empty()) return failure("no program to run");
  // Only the program is ever named in a message: its arguments may hold a secret.
  const std::string& program = run.argv.front();

  int out_pipe[2], err_pipe[2], in_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return failure("cannot make a pipe: " + std::string(std::strerror(errno)));
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return failure("cannot make a pipe: " + std::string(std::strerror(errno)));
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  const bool feed = !run.input.empty();
  if (feed && ::pipe2(in_pipe, O_CLOEXEC) != 0)
    return failure("cannot make a pipe: " + std::string(std::strerror(errno)));
  Fd in_read(in_pipe[0]), in_write(in_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (feed)
    posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  else
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  // The daemon's sockets and audit file are none of the program's business.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The daemon blocks its signals for its signal thread; the program must not inherit that.
  // Its own process group, so that a timeout kills whatever it started too.
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD})
    sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv;
  for (const auto& w : run.argv) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_entries;
  std::vector<char*> envp;
  if (!run.environment.empty()) {
    env_entries = environment_with(run.environment);
    for (auto& e : env_entries) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, program.c_str(), &actions, &attributes, argv.data(),
                                   envp.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) return failure("cannot run " + program + ": " + std::strerror(spawned));
  out_write.reset();
  err_write.reset();
  in_read.reset();
  if (feed) ::fcntl(in_write.get(), F_SETFL, ::fcntl(in_write.get(), F_GETFL) | O_NONBLOCK);

  ProgramExit exit;
  bool timed_out = false;
  bool out_open = true, err_open = true;
  std::size_t written = 0;
  char buffer[4096];
  while (out_open || err_open) {
    const bool writing = in_write.get() >= 0;
    pollfd fds[3] = {{out_open ? out_read.get() : -1, POLLIN, 0},
                     {err_open ? err_read.get() : -1, POLLIN, 0},
                     {writing ? in_write.get() : -1, POLLOUT, 0}};
    const int wait = run.abandoned ? std::min(millis_until(deadline), 100) : millis_until(deadline);
    const int ready = ::poll(fds, 3, wait);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (run.abandoned && run.abandoned()) || steady_clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    if (ready == 0) continue;
    if (writing && fds[2].revents != 0) {
      // A program that does not read its input (it exited, or closed it) is not an error.
      const ssize_t n = (fds[2].revents & POLLOUT)
                            ? write_no_sigpipe(in_write.get(), run.input.data() + written,
                                               run.input.size() - written)
                            : -1;
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == run.input.size())
        in_write.reset();
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      // Standard error is drained (so the program never blocks on it) and dropped.
      if (i == 0) {
        if (exit.output.size() + static_cast<std::size_t>(n) > run.max_output)
          exit.output_too_large = true;
        else
          exit.output.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  in_write.reset();
  // Both pipes closed: the program has normally exited, or is about to.
  int status = 0;
  for (;;) {
    const pid_t done = timed_out ? 0 : ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (timed_out || steady_clock::now() >= deadline || (run.abandoned && run.abandoned())) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (timed_out)
    return Failure{FailureKind::timeout, 0, "", program + " did not finish in time; killed"};
  if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
  if (WIFEXITED(status)) exit.exit_status = WEXITSTATUS(status);
  return exit;
}

}  // namespace nw
