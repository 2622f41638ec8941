#include "nw/io/audit_log.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <set>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

#include "nw/io/journal_socket.h"

namespace nw {

std::size_t unanswered_cancels(const std::string& path, std::uint64_t tail_bytes) {
  // Only a regular file has a tail: /dev/full, say, reads as endless zeros.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::symlink_status(path, ec))) return 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > static_cast<std::streamoff>(tail_bytes)
                                  ? size - static_cast<std::streamoff>(tail_bytes)
                                  : 0;
  in.seekg(from);
  std::string line;
  if (from > 0) std::getline(in, line);  // most likely the end of a cut record
  // Inside a JSON string a quote is escaped, so these sequences only ever match fields.
  static const std::string kSending = R"("outcome":"sending")";
  static const std::string kRecordId = R"("record_id":")";
  std::set<std::string> open;
  while (std::getline(in, line)) {
    const auto at = line.find(kRecordId);
    if (at == std::string::npos) continue;
    const auto begin = at + kRecordId.size();
    const std::string id = line.substr(begin, line.find('"', begin) - begin);
    if (line.find(kSending) != std::string::npos)
      open.insert(id);
    else
      open.erase(id);
  }
  return open.size();
}

gid_t audit_group_id(const std::string& name) {
  std::vector<char> buffer(1024);
  for (;;) {
    group entry{};
    group* found = nullptr;
    const int rc = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);  // a group with many members
      continue;
    }
    if (rc != 0)
      throw AuditOpenError("cannot look up group '" + name + "': " + std::strerror(rc),
                           "watchdog.audit_group");
    if (found == nullptr)
      throw AuditOpenError("no group named '" + name + "'", "watchdog.audit_group");
    return found->gr_gid;
  }
}

AuditLog::AuditLog(const WatchdogSettings& settings)
    : path_(settings.audit_log),
      journal_(settings.audit_journal),
      max_size_(settings.audit_max_size),
      max_files_(settings.audit_max_files),
      group_(settings.audit_group) {
  if (!group_.empty()) gid_ = audit_group_id(group_);
  if (!path_.empty()) fd_ = open_file();
}

AuditLog::AuditLog(const std::string& path) : path_(path) {
  fd_ = open_file();
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// How long a failed rotation waits before it is tried again.
constexpr auto kRotationRetry = std::chrono::minutes(1);

std::string errno_text(int err) {
  return std::strerror(err);
}

}  // namespace

int AuditLog::open_file() const {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  // Never through a symbolic link at the path itself: run as root outside the shipped unit,
  // following one would append to whatever file a local user points it at. Links in the
  // directories above (/var/log -> /data/log) are the operator's and are followed.
  constexpr int kFlags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW;
  int fd = -1;
  bool created = false;
  if (!gid_) {
    fd = ::open(path_.c_str(), kFlags | O_CREAT, 0600);
  } else {
    // Only a file created here is given to the group: an existing one is the operator's, with
    // the mode and group they chose. O_EXCL tells the two apart (a file deleted between the
    // two opens is simply created on the next try).
    for (int attempt = 0; attempt < 3; ++attempt) {
      fd = ::open(path_.c_str(), kFlags | O_CREAT | O_EXCL, 0600);
      if (fd >= 0) {
        created = true;
        break;
      }
      if (errno != EEXIST) break;
      fd = ::open(path_.c_str(), kFlags);
      if (fd >= 0 || errno != ENOENT) break;
    }
  }
  if (fd < 0) {
    const int err = errno;
    struct stat link {};
    if (err == ELOOP && ::lstat(path_.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
      throw AuditOpenError("audit_log " + path_ +
                           " is a symbolic link: refusing to follow it; point audit_log at the "
                           "real file");
    throw AuditOpenError("cannot open '" + path_ + "': " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw AuditOpenError("cannot open '" + path_ + "': is a directory");
  }
  // Created 0600 and widened only after the chown, so that the file is never readable by the
  // daemon's own group; fchmod because a umask (077, say) would have taken the group bit away.
  if (created && (::fchown(fd, static_cast<uid_t>(-1), *gid_) != 0 || ::fchmod(fd, 0640) != 0)) {
    const int err = errno;
    // Left behind, the empty file would be kept as the operator's at the next start: 0600,
    // unreadable by the shipper, and no error.
    struct stat at_path {};
    if (::lstat(path_.c_str(), &at_path) == 0 && at_path.st_dev == st.st_dev &&
        at_path.st_ino == st.st_ino)
      ::unlink(path_.c_str());
    ::close(fd);
    throw AuditOpenError("cannot give the audit file to group " + group_ + ": " + errno_text(err),
                         "watchdog.audit_group");
  }
  return fd;
}

std::string AuditLog::archive_name(int index) const {
  // spdlog's names, kept so that existing archives go on rotating: audit.jsonl -> audit.1.jsonl.
  const std::filesystem::path p(path_);
  const std::string ext = p.extension().string();
  const std::string stem = ext.empty() ? path_ : path_.substr(0, path_.size() - ext.size());
  return stem + "." + std::to_string(index) + ext;
}

bool AuditLog::rotate() {
  const auto fail = [this](const std::string& why) {
    rotation_failed_ = true;
    ++rotation_failures_;
    next_rotation_try_ = std::chrono::steady_clock::now() + kRotationRetry;
    last_error_ = "rotation failed, still writing " + path_ + ": " + why;
    return false;
  };
  // After a try that renamed the live file but could not create its successor, the path no
  // longer names the file being written: only the new file is missing, and renaming the
  // archives again would shift our own records out of the way, one archive a try.
  struct stat at_path {
  }, ours{};
  // lstat: a symbolic link put at the path is not our file, whatever it points to.
  const bool path_is_ours = ::lstat(path_.c_str(), &at_path) == 0 && ::fstat(fd_, &ours) == 0 &&
                            at_path.st_dev == ours.st_dev && at_path.st_ino == ours.st_ino;
  std::error_code ec;
  for (int i = max_files_ - 1; path_is_ours && i >= 1; --i) {
    const std::string from = archive_name(i);
    if (!std::filesystem::exists(from, ec)) continue;
    if (::rename(from.c_str(), archive_name(i + 1).c_str()) != 0)
      return fail("rename " + from + " -> " + archive_name(i + 1) + ": " + errno_text(errno));
  }
  if (path_is_ours && max_files_ >= 1 && ::rename(path_.c_str(), archive_name(1).c_str()) != 0)
    return fail("rename " + path_ + " -> " + archive_name(1) + ": " + errno_text(errno));
  int fresh = -1;
  try {
    fresh = open_file();
  } catch (const AuditOpenError& e) {
    return fail(e.what());  // the old descriptor (now audit.1.jsonl) still takes records
  }
  ::close(fd_);
  fd_ = fresh;
  size_ = 0;
  broken_line_ = false;
  rotation_failed_ = false;
  reopen_failed_ = false;  // the path opened after all
  return true;
}

bool AuditLog::append(const std::string& line) {
  // A live file deleted under us (by hand, or by a tool that should not have) would swallow
  // every record: write to a new one at the path.
  struct stat st {};
  const bool known = ::fstat(fd_, &st) == 0;
  if (known && st.st_nlink == 0) {
    try {
      const int fresh = open_file();
      ::close(fd_);
      fd_ = fresh;
      size_ = 0;
      broken_line_ = false;
      rotation_failed_ = false;  // a fresh file has nothing to rotate
      reopen_failed_ = false;
    } catch (const AuditOpenError& e) {
      last_error_ =
          std::string("the audit file was deleted and cannot be created again: ") + e.what();
      return false;
    }
  } else if (known && S_ISREG(st.st_mode)) {
    size_ = static_cast<std::uint64_t>(st.st_size);  // other writers (and logrotate) count too
  }
  if (max_size_ > 0 && size_ > 0 && size_ + line.size() + 1 > max_size_) {
    if (std::chrono::steady_clock::now() >= next_rotation_try_) rotate();
  } else {
    rotation_failed_ = false;  // below the limit again (the file was moved away, say)
  }
  std::string out;
  out.reserve(line.size() + 2);
  if (broken_line_) out += '\n';  // end the fragment a failed write left behind
  out += line;
  out += '\n';
  ssize_t n = -1;
  do {
    n = ::write(fd_, out.data(), out.size());
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(out.size())) {
    size_ += out.size();
    broken_line_ = false;
    return true;
  }
  if (n > 0) {
    size_ += static_cast<std::uint64_t>(n);
    broken_line_ = true;
    last_error_ = path_ + ": short write (" + std::to_string(n) + " of " +
                  std::to_string(out.size()) + " bytes)";
  } else {
    last_error_ = path_ + ": " + errno_text(errno);
    // Nothing of this line reached the file, but an earlier fragment may still be open.
  }
  return false;
}

bool AuditLog::write(const AuditRecord& record) {
  const std::string line = to_json_line(record);
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return false;
  bool ok = true;
  if (fd_ >= 0) ok = append(line);
  if (journal_) {
    const int error = JournalSocket().send(journal_fields(record));
    if (error != 0) {
      ok = false;
      last_error_ = std::string("journal: ") + std::strerror(error);
    }
  }
  healthy_ = ok && !rotation_failed_ && !reopen_failed_;
  return ok;
}

bool AuditLog::healthy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return healthy_;
}

std::uint64_t AuditLog::rotation_failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rotation_failures_;
}

bool AuditLog::reopen() {
  if (path_.empty()) return true;
  int fresh = -1;
  try {
    fresh = open_file();
  } catch (const AuditOpenError& e) {
    // Records still reach the old file, but not where the operator asked for them (and a
    // link put at the path is someone's attempt to redirect them): failed until a reopen or a
    // rotation opens the path.
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = e.what();
    reopen_failed_ = true;
    healthy_ = false;
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  struct stat before {
  }, after{};
  const bool same_file = fd_ >= 0 && ::fstat(fd_, &before) == 0 && ::fstat(fresh, &after) == 0 &&
                         before.st_dev == after.st_dev && before.st_ino == after.st_ino;
  if (fd_ >= 0) ::close(fd_);
  fd_ = fresh;
  size_ = 0;
  reopen_failed_ = false;
  if (!same_file) {
    broken_line_ = false;  // a fragment left in the old file stays there
    rotation_failed_ = false;
  }
  return true;
}

void AuditLog::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
}

std::string AuditLog::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

std::string AuditLog::destinations() const {
  if (path_.empty()) return "journal";
  return journal_ ? "journal and " + path_ : path_;
}

}  // namespace nw
