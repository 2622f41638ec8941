// credential_process: spawn, read within the deadline, reap, parse.
#include "nw/io/credential_process.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "nw/core/rfc3339.h"

extern char** environ;

namespace nw {
namespace {

using std::chrono::steady_clock;

// Credentials JSON is a few KiB; anything much larger is not one.
constexpr std::size_t kMaxOutput = 64u << 10;

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

}  // namespace

std::optional<std::vector<std::string>> split_command_line(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const auto close = command.find('\'', i + 1);
      if (close == std::string::npos) return std::nullopt;
      word += command.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= command.size()) return std::nullopt;
        if (command[i] == '"') break;
        if (command[i] == '\\' && i + 1 < command.size() &&
            std::strchr("\"\\$`", command[i + 1]) != nullptr)
          ++i;
        word += command[i];
      }
    } else if (c == '\\') {
      if (i + 1 < command.size()) word += command[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<AwsCredentials> parse_credential_process_output(const std::string& output,
                                                       const std::string& what) {
  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    object = parser.parse(output).extract<Poco::JSON::Object::Ptr>();
  } catch (...) {
    object = nullptr;
  }
  if (!object) return failure(what + ": its output is not a JSON object");
  const auto text = [&](const char* key) -> std::optional<std::string> {
    if (!object->has(key)) return std::nullopt;
    const Poco::Dynamic::Var v = object->get(key);
    if (!v.isString()) return std::nullopt;
    return v.extract<std::string>();
  };
  bool version_ok = false;
  try {
    const Poco::Dynamic::Var v = object->get("Version");
    version_ok = !v.isEmpty() && v.isNumeric() && v.convert<int>() == 1;
  } catch (...) {
  }
  if (!version_ok) return failure(what + ": its output has no \"Version\": 1");
  AwsCredentials c;
  for (auto [key, out] : {std::pair<const char*, std::string*>{"AccessKeyId", &c.access_key_id},
                          {"SecretAccessKey", &c.secret_access_key}}) {
    const auto value = text(key);
    if (!value || value->empty()) return failure(what + ": its output has no " + key);
    *out = *value;
  }
  c.session_token = text("SessionToken").value_or("");
  if (object->has("Expiration")) {
    const auto expiration = text("Expiration");
    if (expiration) c.expiration = parse_rfc3339(*expiration);
    if (!c.expiration) return failure(what + ": its Expiration is not an ISO-8601 time");
  }
  return c;
}

Result<AwsCredentials> run_credential_process(const std::string& command, const std::string& what,
                                              steady_clock::time_point deadline) {
  const auto words = split_command_line(command);
  if (!words) return failure(what + ": the command has an unclosed quote");
  if (words->empty()) return failure(what + ": the command is empty");
  // Only the program is ever named in a message: its arguments may hold a secret.
  const std::string program = words->front();

  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return failure(what + ": cannot make a pipe: " + std::strerror(errno));
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return failure(what + ": cannot make a pipe: " + std::strerror(errno));
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
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
  for (const auto& w : *words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, program.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0)
    return failure(what + ": cannot run " + program + ": " + std::strerror(spawned));
  out_write.reset();
  err_write.reset();

  std::string output;
  bool too_large = false;
  bool timed_out = false;
  bool out_open = true;
  bool err_open = true;
  char buffer[4096];
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? out_read.get() : -1, POLLIN, 0},
                     {err_open ? err_read.get() : -1, POLLIN, 0}};
    const int ready = ::poll(fds, 2, millis_until(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = true;
      break;
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
        if (output.size() + static_cast<std::size_t>(n) > kMaxOutput)
          too_large = true;
        else
          output.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  // Both pipes closed: the program has normally exited, or is about to.
  int status = 0;
  for (;;) {
    const pid_t done = timed_out ? 0 : ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (timed_out || steady_clock::now() >= deadline) {
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
    return Failure{FailureKind::timeout, 0, "",
                   what + ": " + program + " did not finish within request_timeout; killed"};
  if (WIFSIGNALED(status))
    return failure(what + ": " + program + " was killed by signal " +
                   std::to_string(WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return failure(what + ": " + program + " exited with status " +
                   std::to_string(WEXITSTATUS(status)) +
                   " (its error output is not logged: it may hold secrets; run it by hand)");
  if (too_large) return failure(what + ": its output is larger than 64 KiB");
  return parse_credential_process_output(output, what);
}

}  // namespace nw
