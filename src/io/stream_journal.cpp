#include "nw/io/stream_journal.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <utility>

#include "nw/core/audit_record.h"

namespace nw {

StreamJournal::StreamJournal(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

bool StreamJournal::write(const AuditRecord& record) {
  const std::string line = to_json_line(record) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) {
    last_error_ = "closed";
    return healthy_ = false;
  }
  // A pipe may take a long line in parts; the lock keeps other records out of the gaps.
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_error_ = n < 0 ? std::strerror(errno) : "nothing written";
      return healthy_ = false;
    }
    done += static_cast<std::size_t>(n);
  }
  return healthy_ = true;
}

bool StreamJournal::healthy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return healthy_;
}

std::string StreamJournal::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void StreamJournal::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
}

}  // namespace nw
