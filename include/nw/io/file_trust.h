#pragma once
// What the daemon reads by path and acts on (its configuration, the AWS credentials and token
// files) must be the operator's: a file another local user can change would let that user
// decide what gets cancelled, or with whose credentials. The rule is sshd's StrictModes: the
// file (after symbolic links, which configuration management uses freely) is writable by
// neither its group nor others, and owned by root or by the user running the daemon. Being
// readable by the group is fine.
#include <cstddef>
#include <optional>
#include <string>

struct stat;

namespace nw {

// Empty when the file described by `st` may be trusted; otherwise why not and how to fix it,
// e.g. "is writable by others (mode 0666): anyone could change what gets cancelled; fix with:
// chmod go-w PATH". `harm` says what a stranger could do with it ("change what gets
// cancelled"). Only regular files are judged: a pipe or a terminal handed over by the caller
// is the caller's own stream.
std::string untrusted_file_problem(const struct stat& st, const std::string& path,
                                   const std::string& harm);

// What a stranger who could write the file could do, for the messages.
inline constexpr const char* kConfigFileHarm = "change what gets cancelled";
inline constexpr const char* kCredentialFileHarm = "change which AWS identity the daemon acts as";
// [ha] password_file: the password of the etcd user the replicas share the fleet as.
inline constexpr const char* kEtcdPasswordFileHarm =
    "change the password the daemon logs in to etcd with";

struct TrustedFileRead {
  std::optional<std::string> text;  // nullopt when the file was not read
  std::string open_error;           // strerror() text when it could not be opened
  std::string refused;              // untrusted_file_problem() when it was refused
  bool too_large = false;           // larger than max_size
  // A directory where a file was expected (open_error then says "Is a directory" too): worth
  // its own message, since it is usually the right directory with the file name left out.
  bool is_directory = false;
};

// Opens `path` (following symbolic links), judges the opened file with
// untrusted_file_problem() and only then reads it, at most `max_size` bytes.
TrustedFileRead read_trusted_file(const std::string& path, const std::string& harm,
                                  std::size_t max_size = static_cast<std::size_t>(-1));

}  // namespace nw
