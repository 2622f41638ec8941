#pragma once
// Datagrams to a local (AF_UNIX) socket: the transport of systemd's two client protocols, the
// service manager's notifications (sd_notify(3)) and the journal's native protocol. systemd
// documents both as stable interfaces for programs that do not link libsystemd; speaking them
// here keeps libsystemd, and the six libraries it loads (gcrypt, gpg-error, zstd, lz4, lzma,
// cap), out of the daemon: about 1 MB of its resident memory (docs/PERFORMANCE.md).
#include <string>
#include <string_view>

namespace nw {

// Sends `payload` as one datagram to the socket at `address`: a path ("/run/x/socket"), or a
// name in the abstract namespace written with a leading '@' (as NOTIFY_SOCKET writes it). With
// `fd` >= 0, that descriptor travels with it (SCM_RIGHTS). Returns 0, or the errno of what
// failed: EINVAL for an address that is empty, relative or longer than sockaddr_un holds.
// A receiver whose queue is full (net.unix.max_dgram_qlen datagrams unread) holds the sender
// until it reads, unless `wait` is false: then the datagram is dropped with EAGAIN.
int send_unix_datagram(const std::string& address, std::string_view payload, int fd = -1,
                       bool wait = true);

}  // namespace nw
