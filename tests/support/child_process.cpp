#include "support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

extern char** environ;

namespace nw::test {

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::vector<std::string>& extra_env) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  // The child starts with default signal dispositions and an empty mask, as under systemd.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings(extra_env);
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    bool overridden = false;
    for (const auto& extra : extra_env) overridden = overridden || extra.rfind(name, 0) == 0;
    if (!overridden) env_strings.push_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = posix_spawn(&pid_, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("cannot start " + program);
  }
  out_.fd = out_pipe[0];
  err_.fd = err_pipe[0];
  out_.reader = std::thread([this] { read_lines(out_); });
  err_.reader = std::thread([this] { read_lines(err_); });
}

ChildProcess::~ChildProcess() {
  if (!wait_exit(std::chrono::milliseconds(0))) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::milliseconds(5000));
  }
  for (Stream* s : {&out_, &err_}) {
    if (s->reader.joinable()) s->reader.join();
    close(s->fd);
  }
}

void ChildProcess::signal(int signo) const { ::kill(pid_, signo); }

void ChildProcess::read_lines(Stream& stream) {
  std::string partial;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(stream.fd, buffer, sizeof buffer);
    if (n <= 0) break;
    partial.append(buffer, static_cast<std::size_t>(n));
    std::size_t eol;
    while ((eol = partial.find('\n')) != std::string::npos) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stream.lines.push_back(partial.substr(0, eol));
      }
      cv_.notify_all();
      partial.erase(0, eol + 1);
    }
  }
  if (!partial.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    stream.lines.push_back(partial);
  }
  cv_.notify_all();
}

std::optional<std::string> ChildProcess::wait_for(Stream& stream,
                                                  const std::function<bool(const std::string&)>& match,
                                                  std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  std::size_t checked = 0;
  std::optional<std::string> found;
  cv_.wait_for(lock, timeout, [&] {
    for (; checked < stream.lines.size(); ++checked) {
      if (match(stream.lines[checked])) {
        found = stream.lines[checked];
        return true;
      }
    }
    return false;
  });
  return found;
}

std::optional<std::string> ChildProcess::wait_for_stdout(
    const std::function<bool(const std::string&)>& match, std::chrono::milliseconds timeout) {
  return wait_for(out_, match, timeout);
}

std::optional<std::string> ChildProcess::wait_for_stderr(
    const std::function<bool(const std::string&)>& match, std::chrono::milliseconds timeout) {
  return wait_for(err_, match, timeout);
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      // The child is gone, so its pipes reach EOF: wait until every line it wrote is read,
      // or a caller looking at the output right after the exit could miss the last lines.
      for (Stream* s : {&out_, &err_})
        if (s->reader.joinable()) s->reader.join();
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<std::string> ChildProcess::stdout_lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return out_.lines;
}

std::vector<std::string> ChildProcess::stderr_lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return err_.lines;
}

}  // namespace nw::test
