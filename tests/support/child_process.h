#pragma once
// A child process for end-to-end tests: the real neptune-watchdog or neptune-sim binary,
// its stdout and stderr collected line by line, signalled and reaped by the test.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace nw::test {

class ChildProcess {
 public:
  // `extra_env`: "NAME=value" entries added to (or overriding) the test's environment.
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::vector<std::string>& extra_env = {});
  ~ChildProcess();  // kills the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo) const;

  // Waits until a line of stdout (or stderr) satisfies `match`; returns it, or nullopt.
  std::optional<std::string> wait_for_stdout(const std::function<bool(const std::string&)>& match,
                                             std::chrono::milliseconds timeout);
  std::optional<std::string> wait_for_stderr(const std::function<bool(const std::string&)>& match,
                                             std::chrono::milliseconds timeout);

  // The exit code (128+N for a signal), or nullopt if still running after `timeout`. Once it
  // has returned a code, stdout_lines() and stderr_lines() hold everything the child wrote.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  std::vector<std::string> stdout_lines() const;
  std::vector<std::string> stderr_lines() const;

 private:
  struct Stream {
    int fd = -1;
    std::vector<std::string> lines;
    std::thread reader;
  };
  void read_lines(Stream& stream);
  std::optional<std::string> wait_for(Stream& stream, const std::function<bool(const std::string&)>& match,
                                      std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Stream out_, err_;
};

}  // namespace nw::test
