// systemd's two client protocols as the daemon speaks them (nw/io/unix_datagram.h): a unix
// datagram socket bound by the test stands in for the service manager or for journald, and the
// bytes that arrive are checked against the protocols' definitions.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "nw/io/journal_socket.h"
#include "nw/io/systemd_notify.h"
#include "nw/io/unix_datagram.h"

namespace nw {
namespace {

// A bound datagram socket: at a path in a fresh directory, or in the abstract namespace.
class Listener {
 public:
  explicit Listener(bool abstract = false) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(++serial_);
    sockaddr_un at{};
    at.sun_family = AF_UNIX;
    socklen_t size = 0;
    if (abstract) {
      address_ = "@nw-systemd-protocol-test-" + tag;
      std::copy(address_.begin() + 1, address_.end(), at.sun_path + 1);
      size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
    } else {
      dir_ = std::filesystem::temp_directory_path() / ("nw-systemd-protocol-" + tag);
      std::filesystem::create_directories(dir_);
      address_ = (dir_ / "socket").string();
      std::copy(address_.begin(), address_.end(), at.sun_path);
      size = sizeof at;
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&at), size) == 0;
    const timeval wait{5, 0};  // a datagram that never comes fails the test, not hangs it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  }
  ~Listener() {
    ::close(fd_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  const std::string& address() const { return address_; }
  bool bound() const { return bound_; }

  // The next datagram, and the descriptor it carried (or -1).
  std::string receive(int* passed = nullptr) {
    std::string buffer(1 << 20, '\0');
    iovec part{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_, &message, MSG_CMSG_CLOEXEC);
    if (n < 0) return "<nothing: " + std::to_string(errno) + ">";
    if (passed != nullptr) {
      *passed = -1;
      const cmsghdr* header = CMSG_FIRSTHDR(&message);
      if (header != nullptr && header->cmsg_type == SCM_RIGHTS)
        std::memcpy(passed, CMSG_DATA(header), sizeof(int));
    }
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

 private:
  static inline int serial_ = 0;
  int fd_ = -1;
  bool bound_ = false;
  std::filesystem::path dir_;
  std::string address_;
};

// Sets an environment variable for one test and puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string le64(std::uint64_t n) {
  std::string out;
  for (int i = 0; i < 8; ++i, n >>= 8) out += static_cast<char>(n & 0xff);
  return out;
}

TEST(UnixDatagram, ReachesAPathAndAnAbstractName) {
  for (bool abstract : {false, true}) {
    Listener listener(abstract);
    ASSERT_TRUE(listener.bound()) << listener.address();
    EXPECT_EQ(send_unix_datagram(listener.address(), "hello"), 0);
    EXPECT_EQ(listener.receive(), "hello") << listener.address();
  }
}

TEST(UnixDatagram, RefusesAddressesThatAreNotOne) {
  EXPECT_EQ(send_unix_datagram("", "x"), EINVAL);
  EXPECT_EQ(send_unix_datagram("@", "x"), EINVAL);
  EXPECT_EQ(send_unix_datagram("relative/socket", "x"), EINVAL);
  // sun_path holds 108 bytes: a path of 107 and its NUL at most.
  EXPECT_EQ(send_unix_datagram("/" + std::string(107, 'a'), "x"), EINVAL);
  EXPECT_EQ(send_unix_datagram("@" + std::string(107, 'a'), "x"), EINVAL);
  EXPECT_EQ(send_unix_datagram("/" + std::string(106, 'a'), "x"), ENOENT);  // fits; not there
  EXPECT_EQ(send_unix_datagram("/nonexistent-nw-dir/socket", "x"), ENOENT);
}

TEST(SystemdNotifier, SendsEachMessageToNotifySocket) {
  for (bool abstract : {false, true}) {
    Listener manager(abstract);
    ASSERT_TRUE(manager.bound());
    ScopedEnv socket("NOTIFY_SOCKET", manager.address().c_str());
    SystemdNotifier notifier;
    notifier.ready();
    EXPECT_EQ(manager.receive(), "READY=1");
    notifier.status("polling 3 instances\nall well");
    EXPECT_EQ(manager.receive(), "STATUS=polling 3 instances all well");
    notifier.watchdog();
    EXPECT_EQ(manager.receive(), "WATCHDOG=1");
    notifier.reloading();
    EXPECT_EQ(manager.receive(), "RELOADING=1");
    notifier.stopping();
    EXPECT_EQ(manager.receive(), "STOPPING=1");
  }
}

TEST(SystemdNotifier, IsSilentWithoutNotifySocket) {
  Listener manager;
  ASSERT_TRUE(manager.bound());
  for (const char* value : {static_cast<const char*>(nullptr), ""}) {
    ScopedEnv socket("NOTIFY_SOCKET", value);
    SystemdNotifier().ready();
  }
  // What would have been sent to the bound socket had the variable named it: nothing came.
  ScopedEnv socket("NOTIFY_SOCKET", manager.address().c_str());
  SystemdNotifier().stopping();
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(SystemdNotifier, NeverWaitsForAManagerThatDoesNotRead) {
  Listener manager;  // never read until the end: its queue fills after max_dgram_qlen datagrams
  ASSERT_TRUE(manager.bound());
  ScopedEnv socket("NOTIFY_SOCKET", manager.address().c_str());
  // In a child, so that a notifier that blocks fails the test instead of hanging it.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (int i = 0; i < 5000; ++i) SystemdNotifier().watchdog();
    ::_exit(0);
  }
  int status = -1;
  for (int waited_ms = 0; waited_ms < 30000 && ::waitpid(child, &status, WNOHANG) == 0;
       waited_ms += 10) {
    ::usleep(10000);
  }
  if (::waitpid(child, &status, WNOHANG) == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL() << "5,000 notifications to a socket nobody reads did not return within 30 s";
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(manager.receive(), "WATCHDOG=1");  // the first ones are queued, the rest dropped
}

TEST(SystemdNotifier, WatchdogIntervalFollowsWatchdogUsecAndPid) {
  const std::string self = std::to_string(::getpid());
  struct Row {
    const char* usec;
    const char* pid;
    std::optional<std::chrono::microseconds> expected;
  };
  const std::vector<Row> rows = {
      {nullptr, nullptr, std::nullopt},
      {"2000000", nullptr, std::chrono::microseconds(2000000)},
      {"2000000", self.c_str(), std::chrono::microseconds(2000000)},
      {"2000000", "1", std::nullopt},                      // meant for another process
      {"2000000", "x", std::nullopt},                      // a pid that is not one
      {"0", nullptr, std::nullopt},                        // off
      {"-5", nullptr, std::nullopt},                       // not a number of microseconds
      {"12s", nullptr, std::nullopt},                      // trailing garbage
      {"99999999999999999999999", nullptr, std::nullopt},  // past 64 bits
  };
  for (const auto& row : rows) {
    ScopedEnv usec("WATCHDOG_USEC", row.usec);
    ScopedEnv pid("WATCHDOG_PID", row.pid);
    EXPECT_EQ(SystemdNotifier::watchdog_interval(), row.expected)
        << (row.usec ? row.usec : "unset") << " / " << (row.pid ? row.pid : "unset");
  }
}

TEST(JournalEntry, WritesPlainFieldsAsLinesAndNewlinesAsSizedValues) {
  EXPECT_EQ(journal_entry({"MESSAGE=cancelled q1", "PRIORITY=5"}),
            "MESSAGE=cancelled q1\nPRIORITY=5\n");
  EXPECT_EQ(journal_entry({"QUERY=MATCH (n)\nRETURN n", "EMPTY="}),
            "QUERY\n" + le64(18) + "MATCH (n)\nRETURN n\nEMPTY=\n");
  // An '=' inside the value is the value's.
  EXPECT_EQ(journal_entry({"QUERY=a=b\n"}), "QUERY\n" + le64(4) + "a=b\n\n");
}

TEST(JournalSocket, SendsAnEntryAsOneDatagram) {
  Listener journald;
  ASSERT_TRUE(journald.bound());
  const std::vector<std::string> fields = {"MESSAGE=x", "QUERY=a\nb"};
  EXPECT_EQ(JournalSocket(journald.address()).send(fields), 0);
  int passed = 0;
  EXPECT_EQ(journald.receive(&passed), journal_entry(fields));
  EXPECT_EQ(passed, -1);
}

TEST(JournalSocket, SendsALargeEntryAsASealedMemfd) {
  Listener journald;
  ASSERT_TRUE(journald.bound());
  const std::vector<std::string> fields = {"MESSAGE=x", "QUERY=" + std::string(100000, 'q')};
  EXPECT_EQ(JournalSocket(journald.address(), 4096).send(fields), 0);
  int passed = -1;
  EXPECT_EQ(journald.receive(&passed), "");  // the entry is in the descriptor
  ASSERT_GE(passed, 0);
  EXPECT_EQ(
      ::fcntl(passed, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
      F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  std::string content(200000, '\0');
  const ssize_t n = ::pread(passed, content.data(), content.size(), 0);
  ::close(passed);
  ASSERT_GT(n, 0);
  content.resize(static_cast<std::size_t>(n));
  EXPECT_EQ(content, journal_entry(fields));
}

TEST(JournalSocket, AnEntryPastTheKernelsDatagramLimitGoesByMemfd) {
  Listener journald;
  ASSERT_TRUE(journald.bound());
  // Larger than any datagram the sender's buffer can hold: it asks for 8 MiB, which the kernel
  // doubles at most and caps at net.core.wmem_max (208 KiB by default): EMSGSIZE.
  const std::vector<std::string> fields = {"MESSAGE=x", "QUERY=" + std::string(24 << 20, 'q')};
  EXPECT_EQ(JournalSocket(journald.address()).send(fields), 0);
  int passed = -1;
  EXPECT_EQ(journald.receive(&passed), "");
  ASSERT_GE(passed, 0);
  const off_t size = ::lseek(passed, 0, SEEK_END);
  ::close(passed);
  EXPECT_EQ(static_cast<std::size_t>(size), journal_entry(fields).size());
}

TEST(JournalSocket, RefusesFieldsJournaldWouldMisread) {
  Listener journald;
  ASSERT_TRUE(journald.bound());
  for (const std::vector<std::string>& fields : {std::vector<std::string>{"MESSAGE"},
                                                 {"=value"},
                                                 {"MESS\nAGE=x"},
                                                 {"MESSAGE=x", "NONAME"}}) {
    EXPECT_EQ(JournalSocket(journald.address()).send(fields), EINVAL) << fields.back();
  }
  EXPECT_EQ(JournalSocket(journald.address()).send({"MESSAGE=a\nb=c"}), 0);  // '=' in a value
  EXPECT_EQ(journald.receive(), journal_entry({"MESSAGE=a\nb=c"}));          // the only one sent
}

TEST(JournalSocket, NoJournalIsNotAnErrorButAnotherFailureIs) {
  EXPECT_EQ(JournalSocket("/nonexistent-nw-dir/journal/socket").send({"MESSAGE=x"}), 0);
  EXPECT_EQ(JournalSocket("relative/socket").send({"MESSAGE=x"}), EINVAL);
  // A socket that is there but not a datagram socket: refused, and said so.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("nw-systemd-protocol-stream-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "socket").string();
  const int stream = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un at{};
  at.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), at.sun_path);
  ASSERT_EQ(::bind(stream, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  ASSERT_EQ(::listen(stream, 1), 0);
  EXPECT_NE(JournalSocket(path).send({"MESSAGE=x"}), 0);
  ::close(stream);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nw
