#include "nw/io/journal_socket.h"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>

#include "nw/io/unix_datagram.h"

namespace nw {

std::string journal_entry(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& field : fields) {
    const auto equals = field.find('=');
    if (equals == std::string::npos || field.find('\n', equals) == std::string::npos) {
      out += field;
      out += '\n';
      continue;
    }
    out.append(field, 0, equals);
    out += '\n';
    std::uint64_t size = field.size() - equals - 1;
    for (int i = 0; i < 8; ++i, size >>= 8) out += static_cast<char>(size & 0xff);
    out.append(field, equals + 1, std::string::npos);
    out += '\n';
  }
  return out;
}

JournalSocket::JournalSocket(std::string path, std::size_t max_datagram)
    : path_(std::move(path)), max_datagram_(max_datagram) {}

int JournalSocket::send(const std::vector<std::string>& fields) const {
  // A field without a name, or whose name holds a newline, would be read by journald as
  // something else (a size, the next field): refused whole, as sd_journal_sendv refuses it.
  for (const auto& field : fields) {
    const auto equals = field.find('=');
    if (equals == std::string::npos || equals == 0 || field.find('\n') < equals) return EINVAL;
  }
  const std::string entry = journal_entry(fields);
  int error = entry.size() > max_datagram_ ? EMSGSIZE : send_unix_datagram(path_, entry);
  if (error == EMSGSIZE || error == ENOBUFS) error = send_by_memfd(entry);
  return error == ENOENT ? 0 : error;
}

int JournalSocket::send_by_memfd(const std::string& entry) const {
  const int fd = ::memfd_create("journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return errno;
  int error = 0;
  for (std::size_t done = 0; done < entry.size() && error == 0;) {
    const ssize_t n = ::write(fd, entry.data() + done, entry.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      error = EIO;
    } else if (errno != EINTR) {
      error = errno;
    }
  }
  // journald takes only a descriptor that can no longer change under it.
  if (error == 0 &&
      ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    error = errno;
  }
  if (error == 0) error = send_unix_datagram(path_, {}, fd);
  ::close(fd);
  return error;
}

}  // namespace nw
