#include "nw/app/scheduler.h"

#include <algorithm>
#include <exception>

namespace nw {
namespace {

// A min-heap on (at, seq): std::push_heap builds a max-heap, so compare the other way round.
template <class T>
bool later(const T& a, const T& b) {
  return a.at != b.at ? a.at > b.at : a.seq > b.seq;
}

}  // namespace

Scheduler::Scheduler(const Clock& clock, Options options)
    : clock_(clock), options_(std::move(options)) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < options_.workers; ++i) start_worker(false);
}

Scheduler::~Scheduler() {
  stop(std::chrono::steady_clock::now());
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

void Scheduler::start_worker(bool extra) {
  // Join the extra workers that have left (each left the lock behind before it was listed
  // here), so that their stacks are given back.
  for (const auto& id : exited_) {
    auto it = std::find_if(threads_.begin(), threads_.end(),
                           [&](std::thread& t) { return t.get_id() == id; });
    if (it == threads_.end()) continue;
    it->join();
    threads_.erase(it);
  }
  exited_.clear();
  ++alive_;
  peak_ = std::max(peak_, alive_);
  threads_.emplace_back([this, extra] { worker(extra); });
}

Scheduler::StrandId Scheduler::make_strand() {
  std::lock_guard<std::mutex> lock(mutex_);
  const StrandId id = next_strand_++;
  strands_.emplace(id, Strand{});
  return id;
}

void Scheduler::drop_strand(StrandId id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = strands_.find(id);
  if (it == strands_.end()) return;
  strands_.erase(it);  // a task of it that is running finishes; finished() finds no strand
  timers_.erase(std::remove_if(timers_.begin(), timers_.end(),
                               [&](const Timed& t) { return t.strand == id; }),
                timers_.end());
  std::make_heap(timers_.begin(), timers_.end(),
                 [](const Timed& a, const Timed& b) { return later(a, b); });
  runnable_.erase(std::remove(runnable_.begin(), runnable_.end(), id), runnable_.end());
  if (idle_locked()) idle_cv_.notify_all();
}

void Scheduler::schedule_at(StrandId strand, TimePoint at, Task task) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || strands_.count(strand) == 0) return;
  timers_.push_back(Timed{at, next_seq_++, strand, std::move(task)});
  std::push_heap(timers_.begin(), timers_.end(),
                 [](const Timed& a, const Timed& b) { return later(a, b); });
  // Only a new deadline that no watcher wakes for in time concerns them (usually none: a loop
  // schedules its next step an interval ahead, behind the deadlines already watched).
  if (!earliest_covered()) {
    // One watcher, whichever wakes, takes or watches it: a woken watcher chooses again, and
    // chooses the earliest deadline no other watcher covers.
    if (!watch_targets_.empty())
      timer_cv_.notify_one();
    else if (idle_followers_ > 0)
      work_cv_.notify_one();
  }
}

bool Scheduler::earliest_covered() const {
  return timers_.empty() ||
         (!watch_targets_.empty() && *watch_targets_.begin() <= timers_.front().at);
}

bool Scheduler::choose_watch(TimePoint now, TimePoint& target) const {
  if (timers_.empty()) {
    if (!watch_targets_.empty()) return false;
    target = now + options_.idle_exit;
    return true;
  }
  if (!earliest_covered()) {
    target = timers_.front().at;
    return true;
  }
  if (timers_.size() < 2) return false;
  // The second deadline: the smaller child of the heap's root.
  TimePoint second = timers_[1].at;
  if (timers_.size() > 2) second = std::min(second, timers_[2].at);
  if (watch_targets_.size() >= 2 && *std::next(watch_targets_.begin()) <= second) return false;
  target = second;
  return true;
}

void Scheduler::make_runnable(StrandId id, Strand& strand) {
  if (strand.busy || strand.queued || strand.ready.empty()) return;
  strand.queued = true;
  runnable_.push_back(id);
}

void Scheduler::promote_due(TimePoint now) {
  const auto cmp = [](const Timed& a, const Timed& b) { return later(a, b); };
  while (!timers_.empty() && timers_.front().at <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), cmp);
    Timed due = std::move(timers_.back());
    timers_.pop_back();
    auto it = strands_.find(due.strand);
    if (it == strands_.end()) continue;
    it->second.ready.push_back(std::move(due.task));
    make_runnable(due.strand, it->second);
  }
}

bool Scheduler::take(StrandId& id, Task& task) {
  while (!runnable_.empty()) {
    id = runnable_.front();
    runnable_.pop_front();
    auto it = strands_.find(id);
    if (it == strands_.end()) continue;
    Strand& strand = it->second;
    strand.queued = false;
    task = std::move(strand.ready.front());
    strand.ready.pop_front();
    strand.busy = true;
    ++running_;
    return true;
  }
  return false;
}

void Scheduler::finished(StrandId id) {
  --running_;
  auto it = strands_.find(id);
  if (it != strands_.end()) {
    it->second.busy = false;
    make_runnable(id, it->second);
  }
  if (idle_locked()) idle_cv_.notify_all();
}

void Scheduler::worker(bool extra) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto idle_since = std::chrono::steady_clock::now();
  while (!stopping_) {
    promote_due(clock_.now());
    StrandId id = 0;
    Task task;
    if (take(id, task)) {
      // While this task runs, a watcher must wake for the earliest deadline left. Usually one
      // does already: the one that watched the second deadline. Otherwise a follower is woken
      // to watch it, or a worker is started (the task may block on a slow peer).
      const bool covered = earliest_covered();
      // With no idle worker left at all, one is started: deadlines scheduled from now on need
      // someone to wake for them.
      if (watch_targets_.empty() && idle_followers_ == 0 && alive_ < options_.max_workers)
        start_worker(true);
      // Who to wake, decided under the lock and woken after it is released, so that a woken
      // worker does not at once block on the lock this one still holds.
      std::size_t followers_to_wake = 0;
      bool wake_watcher = false;
      if (!runnable_.empty()) {
        // More work: a follower takes it; with none waiting, a watcher does.
        if (idle_followers_ > 0)
          ++followers_to_wake;
        else
          wake_watcher = !watch_targets_.empty();
      }
      bool rechoose = false;  // the watchers wait for later deadlines: one chooses again
      if (!covered) {
        if (idle_followers_ > followers_to_wake)
          ++followers_to_wake;
        else
          rechoose = !watch_targets_.empty();
      }
      lock.unlock();
      for (std::size_t i = 0; i < followers_to_wake; ++i) work_cv_.notify_one();
      if (wake_watcher) timer_cv_.notify_one();  // takes the work
      if (rechoose) timer_cv_.notify_one();      // watches the earliest deadline
      try {
        task();
      } catch (...) {
        // A task reports its own failures; one that escapes must not take the worker with it.
      }
      task = nullptr;  // destroy what it captured outside the lock
      lock.lock();
      finished(id);
      idle_since = std::chrono::steady_clock::now();
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    // An extra worker idle for long leaves, once another watches the deadlines.
    if (extra && now - idle_since >= options_.idle_exit &&
        (!watch_targets_.empty() || idle_followers_ > 0)) {
      if (watch_targets_.empty()) work_cv_.notify_one();
      break;
    }
    TimePoint target;
    if (choose_watch(now, target)) {
      // A watcher: waits for the earliest deadline, or for the second one. So when the first
      // watcher takes its due task, the next deadline is watched already and nobody needs to
      // be woken to watch it; a worker that finishes its task before that deadline watches the
      // one after. A deadline wakes one thread, and a short task hands nothing on.
      const auto mine = watch_targets_.insert(target);
      timer_cv_.wait_until(lock, target);
      watch_targets_.erase(mine);
      continue;
    }
    ++idle_followers_;
    work_cv_.wait_until(lock,
                        extra ? idle_since + options_.idle_exit : now + std::chrono::hours(1));
    --idle_followers_;
  }
  --alive_;
  if (!stopping_) exited_.push_back(std::this_thread::get_id());
}

bool Scheduler::stop(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  timers_.clear();
  runnable_.clear();
  for (auto& [id, strand] : strands_) {
    strand.ready.clear();
    strand.queued = false;
  }
  work_cv_.notify_all();
  timer_cv_.notify_all();
  return idle_cv_.wait_until(lock, deadline, [this] { return running_ == 0; });
}

bool Scheduler::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  return idle_cv_.wait_until(lock, deadline, [this] { return idle_locked(); });
}

std::size_t Scheduler::run_due() {
  std::size_t ran = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stopping_) break;
    promote_due(clock_.now());
    StrandId id = 0;
    Task task;
    if (!take(id, task)) break;
    lock.unlock();
    try {
      task();
    } catch (...) {
    }
    task = nullptr;
    lock.lock();
    finished(id);
    ++ran;
  }
  return ran;
}

bool Scheduler::next_due(TimePoint& at) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (timers_.empty()) return false;
  at = timers_.front().at;
  return true;
}

std::size_t Scheduler::threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return alive_;
}

std::size_t Scheduler::peak_threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_;
}

}  // namespace nw
