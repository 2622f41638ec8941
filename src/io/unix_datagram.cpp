#include "nw/io/unix_datagram.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace nw {

int send_unix_datagram(const std::string& address, std::string_view payload, int fd, bool wait) {
  sockaddr_un to{};
  to.sun_family = AF_UNIX;
  // A path needs its terminating NUL inside sun_path; an abstract name does not, but systemd
  // refuses the same lengths for both.
  if (address.size() < 2 || (address[0] != '/' && address[0] != '@') ||
      address.size() >= sizeof(to.sun_path)) {
    return EINVAL;
  }
  std::memcpy(to.sun_path, address.data(), address.size());
  if (to.sun_path[0] == '@') to.sun_path[0] = '\0';  // abstract: no terminating NUL either
  const socklen_t to_size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                                   address.size() + (address[0] == '/'));

  const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return errno;
  // A journal record can be larger than the default send buffer allows a datagram to be; the
  // kernel caps this at net.core.wmem_max, and the caller falls back to a memfd past that.
  const int buffer = 8 * 1024 * 1024;
  ::setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

  iovec part{const_cast<char*>(payload.data()), payload.size()};
  msghdr message{};
  message.msg_name = &to;
  message.msg_namelen = to_size;
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
  }
  int error = 0;
  while (::sendmsg(sock, &message, MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT)) < 0) {
    if (errno == EINTR) continue;
    error = errno;
    break;
  }
  ::close(sock);
  return error;
}

}  // namespace nw
