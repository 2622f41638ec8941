#pragma once
// Entries to journald over its native protocol, without libsystemd (nw/io/unix_datagram.h says
// why). One datagram per entry; each field is "NAME=value\n", or, when the value holds a
// newline, "NAME\n", the value's length as a 64-bit little-endian number, the value and "\n".
// An entry too large for one datagram travels as a sealed memfd whose descriptor an empty
// datagram carries, which journald reads as the entry.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace nw {

// The bytes of one entry, from fields written "NAME=value".
std::string journal_entry(const std::vector<std::string>& fields);

class JournalSocket {
 public:
  static constexpr const char* kDefaultPath = "/run/systemd/journal/socket";

  // `max_datagram`: entries larger than this go by memfd without trying a datagram first (tests
  // set it to take that path); the kernel's own limit sends them there anyway.
  explicit JournalSocket(std::string path = kDefaultPath,
                         std::size_t max_datagram = std::numeric_limits<std::size_t>::max());

  // Sends one entry. Returns 0 or the errno of what failed: EINVAL, and nothing sent, for a
  // field that is not "NAME=value" with a name before any newline. As with sd_journal_sendv(3), a
  // journal that is not there (no socket at the path: a container, a build machine) is not an
  // error and the entry goes nowhere; under systemd the socket always exists.
  int send(const std::vector<std::string>& fields) const;

 private:
  int send_by_memfd(const std::string& entry) const;

  std::string path_;
  std::size_t max_datagram_;
};

}  // namespace nw
