#include "nw/io/exchange_reaper.h"

#include <sys/socket.h>
#include <utility>

namespace nw {

ExchangeReaper::Watch::Watch(Watch&& other) noexcept
    : reaper_(std::exchange(other.reaper_, nullptr)), id_(other.id_) {}

ExchangeReaper::Watch& ExchangeReaper::Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    finish();
    reaper_ = std::exchange(other.reaper_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

ExchangeReaper::Watch::~Watch() {
  finish();
}

ExchangeReaper::Fate ExchangeReaper::Watch::finish() {
  if (!reaper_) return Fate::running;
  const Fate fate = reaper_->finish(id_);
  reaper_ = nullptr;
  return fate;
}

ExchangeReaper::ExchangeReaper() : thread_([this] { run(); }) {}

ExchangeReaper::~ExchangeReaper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

ExchangeReaper::Watch ExchangeReaper::watch(int fd,
                                            std::chrono::steady_clock::time_point deadline) {
  std::uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = next_id_++;
    Fate fate = Fate::running;
    if (aborting_) {
      ::shutdown(fd, SHUT_RDWR);
      fate = Fate::aborted;
    }
    entries_.emplace(id, Entry{fd, deadline, fate});
    // Most deadlines come later than the one the reaper sleeps until (every request of an
    // endpoint has the same request_timeout): waking it for those would cost a context switch
    // per exchange for nothing.
    if (deadline >= sleeping_until_) return Watch(this, id);
  }
  changed_.notify_all();
  return Watch(this, id);
}

ExchangeReaper::Fate ExchangeReaper::finish(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = entries_.find(id);
  if (it == entries_.end()) return Fate::running;
  const Fate fate = it->second.fate;
  entries_.erase(it);
  return fate;
}

void ExchangeReaper::abort_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  aborting_ = true;
  for (auto& [id, entry] : entries_) {
    if (entry.fate != Fate::running) continue;
    ::shutdown(entry.fd, SHUT_RDWR);
    entry.fate = Fate::aborted;
  }
}

bool ExchangeReaper::aborting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return aborting_;
}

std::shared_ptr<ExchangeReaper> ExchangeReaper::process_default() {
  static const std::shared_ptr<ExchangeReaper> reaper = std::make_shared<ExchangeReaper>();
  return reaper;
}

// Few exchanges run at once (one per busy worker, plus credential lookups): a scan of all of
// them per wake-up is cheaper than keeping a second index by deadline.
void ExchangeReaper::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    auto earliest = std::chrono::steady_clock::time_point::max();
    for (const auto& [id, entry] : entries_)
      if (entry.fate == Fate::running && entry.deadline < earliest) earliest = entry.deadline;
    // With nothing to watch, it still wakes once a second rather than at the next watch():
    // exchanges are short and frequent (hundreds a second at 1 s polls), and most start while
    // none other runs; waking for each would cost two context switches per request.
    if (earliest == std::chrono::steady_clock::time_point::max())
      earliest = std::chrono::steady_clock::now() + kIdleHorizon;
    sleeping_until_ = earliest;
    changed_.wait_until(lock, earliest);
    sleeping_until_ = std::chrono::steady_clock::time_point::min();  // awake: recomputes anyway
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, entry] : entries_) {
      if (entry.fate != Fate::running || entry.deadline > now) continue;
      ::shutdown(entry.fd, SHUT_RDWR);
      entry.fate = Fate::expired;
    }
  }
}

}  // namespace nw
