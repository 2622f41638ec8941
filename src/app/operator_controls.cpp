#include "nw/app/operator_controls.h"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "nw/core/audit_record.h"
#include "nw/core/metrics.h"
#include "nw/core/rfc3339.h"

namespace nw {

namespace {

bool too_long(Millis length) {
  return length <= Millis::zero() || length > kMaxOperatorHold;
}

// What the sentinel file says: whether it pauses, its first line as the reason, or why it is
// not trusted. Only a regular file owned by root or the daemon's user pauses: a pipe would
// block the reading thread, and anyone's file in a shared directory must not stop cancelling.
struct Sentinel {
  bool pauses = false;
  std::string reason;
  std::string problem;
};

Sentinel read_sentinel(const std::string& path) {
  Sentinel s;
  struct stat st {};
  if (path.empty() || ::lstat(path.c_str(), &st) != 0) return s;
  if (!S_ISREG(st.st_mode)) {
    s.problem = path + " is not a regular file; it does not pause cancelling";
    return s;
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    s.problem = path + " is owned by uid " + std::to_string(st.st_uid) +
                ", neither root nor the daemon's user; it does not pause cancelling";
    return s;
  }
  s.pauses = true;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return s;  // it exists: it pauses, without a reason
  char buffer[256];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n > 0) {
    std::string text(buffer, static_cast<std::size_t>(n));
    s.reason = printable(text.substr(0, text.find('\n')), 200);
  }
  return s;
}

}  // namespace

OperatorControls::OperatorControls(AuditTrail& trail, const ConfigHolder& config, Metrics& metrics,
                                   spdlog::logger& log)
    : trail_(trail),
      config_(config),
      metrics_(metrics),
      log_(log),
      state_(std::make_shared<const OperatorState>()) {}

std::shared_ptr<const OperatorState> OperatorControls::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

ControlReply OperatorControls::pause(const std::string& requested_by, Millis length,
                                     const std::string& reason, WallTime now) {
  if (too_long(length))
    return {false,
            "pause: --for must be more than 0 and at most 168h (a forgotten pause must end)"};
  OperatorPause pause{requested_by, printable(reason, 200), now, now + length};
  const std::string detail = describe_pause(pause);
  std::lock_guard<std::mutex> change(change_mutex_);
  if (!audit("pause", requested_by, detail, now))
    return {false, "pause: not done: its audit record could not be written"};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    socket_pause_ = pause;
    publish(now);
  }
  log_.warn("admin: {}", detail);
  return {true, detail};
}

ControlReply OperatorControls::resume(const std::string& requested_by, WallTime now) {
  std::lock_guard<std::mutex> change(change_mutex_);
  std::string still;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!socket_pause_ || (socket_pause_->until && *socket_pause_->until <= now)) {
      if (sentinel_pause_)
        return {false,
                "resume: " + describe_pause(*sentinel_pause_) + "; remove the file to resume"};
      return {false, "resume: cancelling is not paused"};
    }
    if (sentinel_pause_) still = "; still " + describe_pause(*sentinel_pause_);
  }
  const std::string detail = "cancelling resumed by " + requested_by + still;
  if (!audit("resume", requested_by, detail, now))
    return {false, "resume: not done: its audit record could not be written"};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    socket_pause_.reset();
    publish(now);
  }
  log_.warn("admin: {}", detail);
  return {true, detail};
}

ControlReply OperatorControls::protect(const std::string& requested_by, const std::string& query_id,
                                       const std::string& regex, Millis length, WallTime now) {
  if (too_long(length)) return {false, "protect: --for must be more than 0 and at most 168h"};
  if (query_id.empty() == regex.empty())
    return {false, "protect: give either --query-id ID or --matches REGEX"};
  Protection p;
  p.until = now + length;
  std::string what;
  if (!query_id.empty()) {
    p.query_ids.insert(query_id);
    what = "query id " + printable(query_id, 200);
  } else {
    std::string error;
    p.query_matches = compile_regex(regex, error);
    if (!p.query_matches) return {false, "protect: --matches: not a valid RE2 regex: " + error};
    what = "queries matching " + printable(regex, 200);
  }
  std::lock_guard<std::mutex> change(change_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    protections_.erase(std::remove_if(protections_.begin(), protections_.end(),
                                      [&](const Protection& q) { return *q.until <= now; }),
                       protections_.end());
    if (protections_.size() >= kMaxTemporaryProtections)
      return {false, "protect: " + std::to_string(kMaxTemporaryProtections) +
                         " temporary protections are in force already"};
    p.section = "protect by " + requested_by + " #" + std::to_string(protections_made_ + 1);
  }
  const std::string detail =
      what + " protected until " + format_rfc3339(*p.until) + " ([" + p.section + "])";
  if (!audit("protect", requested_by, detail, now))
    return {false, "protect: not done: its audit record could not be written"};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++protections_made_;
    protections_.push_back(std::move(p));
    publish(now);
  }
  log_.warn("admin: {}", detail);
  return {true, detail};
}

void OperatorControls::tend(WallTime now, const std::string& sentinel_path) {
  const Sentinel sentinel = read_sentinel(sentinel_path);
  if (sentinel.problem != sentinel_problem_) {
    sentinel_problem_ = sentinel.problem;
    if (!sentinel.problem.empty()) log_.error("pause_sentinel: {}", sentinel.problem);
  }
  std::lock_guard<std::mutex> change(change_mutex_);
  std::vector<std::pair<std::string, std::string>> changes;  // (change, detail), in order
  std::string by;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    bool changed = false;
    const bool socket_in_force =
        socket_pause_ && (!socket_pause_->until || now < *socket_pause_->until);
    const std::string still =
        socket_in_force ? "; still " + describe_pause(*socket_pause_) : std::string();
    if (sentinel.pauses && !sentinel_pause_) {
      sentinel_pause_ =
          OperatorPause{"sentinel file " + sentinel_path, sentinel.reason, now, std::nullopt};
      by = sentinel_pause_->requested_by;
      changes.emplace_back("pause", describe_pause(*sentinel_pause_));
      changed = true;
    } else if (!sentinel.pauses && sentinel_pause_) {
      by = sentinel_pause_->requested_by;
      changes.emplace_back(socket_in_force ? "unpause" : "resume",
                           (socket_in_force ? "the pause by " : "cancelling resumed: ") + by +
                               " ended: the file was removed" + still);
      sentinel_pause_.reset();
      changed = true;
    }
    if (socket_pause_ && !socket_in_force) {
      const std::string who = socket_pause_->requested_by;
      if (by.empty()) by = who;
      changes.emplace_back("resume", "cancelling resumed: the pause by " + who + " ended at " +
                                         format_rfc3339(*socket_pause_->until));
      socket_pause_.reset();
      changed = true;
    }
    const auto expired = std::remove_if(protections_.begin(), protections_.end(),
                                        [&](const Protection& p) { return *p.until <= now; });
    if (expired != protections_.end()) {
      protections_.erase(expired, protections_.end());
      changed = true;
    }
    if (changed) publish(now);
  }
  // The file decides: a pause by it holds even when its record cannot be written (that is
  // logged); a pause that ended, ended.
  for (const auto& [what, detail] : changes) {
    if (!audit(what, by, detail, now))
      log_.error("admin: the audit record of this {} could not be written", what);
    log_.warn("admin: {}", detail);
  }
}

void OperatorControls::publish(WallTime now) {
  auto next = std::make_shared<OperatorState>();
  // The sentinel's pause first: it lasts while the file exists, whatever the socket says.
  if (sentinel_pause_)
    next->pause = sentinel_pause_;
  else if (socket_pause_ && (!socket_pause_->until || now < *socket_pause_->until))
    next->pause = socket_pause_;
  next->protections = protections_;
  metrics_.operator_paused(next->pause.has_value(),
                           next->pause ? describe_pause(*next->pause) : std::string());
  state_ = std::move(next);
}

bool OperatorControls::audit(const std::string& change, const std::string& requested_by,
                             const std::string& detail, WallTime now) {
  return trail_.record(admin_record(now, change, requested_by, detail, config_.get()->version));
}

}  // namespace nw
