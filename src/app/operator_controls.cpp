#include "nw/app/operator_controls.h"

#include <algorithm>
#include <fstream>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "nw/core/audit_record.h"
#include "nw/core/metrics.h"
#include "nw/core/rfc3339.h"

namespace nw {

namespace {

// The first line of the sentinel file, as the pause's reason: at most 200 characters.
std::string sentinel_reason(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return printable(line, 200);
}

bool too_long(Millis length) {
  return length <= Millis::zero() || length > kMaxOperatorHold;
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
    return {false, "pause: --for must be more than 0 and at most 7d (a forgotten pause must end)"};
  OperatorPause pause{requested_by, printable(reason, 200), now, now + length};
  const std::string detail = describe_pause(pause);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    socket_pause_ = pause;
    publish(now);
  }
  audit("pause", requested_by, detail, now);
  log_.warn("admin: {}", detail);
  return {true, detail};
}

ControlReply OperatorControls::resume(const std::string& requested_by, WallTime now) {
  std::string still;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!socket_pause_ || (socket_pause_->until && *socket_pause_->until <= now)) {
      if (sentinel_pause_)
        return {false,
                "resume: " + describe_pause(*sentinel_pause_) + "; remove the file to resume"};
      return {false, "resume: cancelling is not paused"};
    }
    socket_pause_.reset();
    publish(now);
    if (sentinel_pause_) still = "; still " + describe_pause(*sentinel_pause_);
  }
  const std::string detail = "cancelling resumed by " + requested_by + still;
  audit("resume", requested_by, detail, now);
  log_.warn("admin: {}", detail);
  return {true, detail};
}

ControlReply OperatorControls::protect(const std::string& requested_by, const std::string& query_id,
                                       const std::string& regex, Millis length, WallTime now) {
  if (too_long(length)) return {false, "protect: --for must be more than 0 and at most 7d"};
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
  std::string detail;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    protections_.erase(std::remove_if(protections_.begin(), protections_.end(),
                                      [&](const Protection& q) { return *q.until <= now; }),
                       protections_.end());
    if (protections_.size() >= kMaxTemporaryProtections)
      return {false, "protect: " + std::to_string(kMaxTemporaryProtections) +
                         " temporary protections are in force already"};
    p.section = "protect by " + requested_by + " #" + std::to_string(++protections_made_);
    detail = what + " protected until " + format_rfc3339(*p.until) + " ([" + p.section + "])";
    protections_.push_back(std::move(p));
    publish(now);
  }
  audit("protect", requested_by, detail, now);
  log_.warn("admin: {}", detail);
  return {true, detail};
}

void OperatorControls::tend(WallTime now, const std::string& sentinel_path) {
  struct stat st {};
  const bool sentinel = !sentinel_path.empty() && ::stat(sentinel_path.c_str(), &st) == 0;
  std::optional<std::pair<std::string, std::string>> change;  // (change, detail)
  std::string by;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    bool changed = false;
    if (sentinel && !sentinel_pause_) {
      sentinel_pause_ =
          OperatorPause{"sentinel file " + sentinel_path, sentinel_reason(sentinel_path), now, {}};
      by = sentinel_pause_->requested_by;
      change.emplace("pause", describe_pause(*sentinel_pause_));
      changed = true;
    } else if (!sentinel && sentinel_pause_) {
      by = sentinel_pause_->requested_by;
      change.emplace("resume", "cancelling resumed: " + by + " was removed");
      sentinel_pause_.reset();
      changed = true;
    }
    if (socket_pause_ && socket_pause_->until && *socket_pause_->until <= now) {
      if (!change) {
        by = socket_pause_->requested_by;
        change.emplace("resume", "cancelling resumed: the pause by " + by + " ended at " +
                                     format_rfc3339(*socket_pause_->until));
      }
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
  if (change) {
    audit(change->first, by, change->second, now);
    log_.warn("admin: {}", change->second);
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

void OperatorControls::audit(const std::string& change, const std::string& requested_by,
                             const std::string& detail, WallTime now) {
  AuditRecord r = admin_record(now, change, requested_by, detail, config_.get()->version);
  if (!trail_.record(r))
    log_.error("admin: the audit record of this {} could not be written", change);
}

}  // namespace nw
