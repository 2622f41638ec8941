#include "nw/io/file_trust.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace nw {
namespace {

// "root", the user's name, or the number when the user has no name.
std::string user_name(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(4096);
  if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found != nullptr)
    return found->pw_name;
  return std::to_string(uid);
}

}  // namespace

std::string untrusted_file_problem(const struct stat& st, const std::string& path,
                                   const std::string& harm) {
  if (!S_ISREG(st.st_mode)) return {};
  const mode_t perms = st.st_mode & 07777;
  if ((perms & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(perms));
    return std::string("is writable by others (mode ") + mode + "): anyone could " + harm +
           "; fix with: chmod go-w " + path;
  }
  const uid_t self = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != self) {
    const std::string owner = user_name(st.st_uid);
    return "is owned by " + owner + " (uid " + std::to_string(st.st_uid) +
           "), neither root nor the user running the daemon: " + owner + " could " + harm +
           "; fix with: chown " + user_name(self) + " " + path;
  }
  return {};
}

TrustedFileRead read_trusted_file(const std::string& path, const std::string& harm,
                                  std::size_t max_size) {
  TrustedFileRead result;
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    result.open_error = std::strerror(errno);
    return result;
  }
  // The opened file is judged, not the path: it cannot be swapped between check and read.
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    result.open_error = std::strerror(errno);
    ::close(fd);
    return result;
  }
  if (S_ISDIR(st.st_mode)) {  // open() takes a directory for reading; read() would fail later
    result.is_directory = true;
    result.open_error = std::strerror(EISDIR);
    ::close(fd);
    return result;
  }
  result.refused = untrusted_file_problem(st, path, harm);
  if (!result.refused.empty()) {
    ::close(fd);
    return result;
  }
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.open_error = std::strerror(errno);
      ::close(fd);
      return result;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_size) {
      result.too_large = true;
      ::close(fd);
      return result;
    }
  }
  ::close(fd);
  result.text = std::move(text);
  return result;
}

}  // namespace nw
