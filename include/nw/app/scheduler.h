#pragma once
// One deadline queue and a small pool of worker threads that run every instance's polls and
// cancels (docs/ARCHITECTURE.md, "Threads").
//
// Work is grouped in strands. Tasks of one strand never run at the same time and start in the
// order of their due time (ties: the order they were scheduled), so the state that one strand's
// tasks share needs no lock. Tasks of different strands run in parallel on the workers.
//
// Idle workers take turns: up to two, the watchers, wait for the earliest and for the second
// deadline; the others wait until work is handed to them. A watcher that wakes takes its due
// task while the other one already watches the next deadline, and a worker done with its task
// watches the deadline after that: a deadline wakes one thread, with no hand-off per task.
//
// Tasks may block: a Neptune request waits for its answer for up to request_timeout. One
// worker is kept free to watch the deadlines: when a worker takes a task and none is left
// waiting, another is started, up to `max_workers`; a worker beyond `workers` leaves again
// after `idle_exit` without work. So one slow peer holds one worker and never the schedule of
// the others, and the thread count stays bounded whatever the number of instances.
//
// Manual mode (`workers = 0`): no thread is started and nothing runs by itself. run_due() runs
// every task due at the clock's now() on the calling thread, in order. Tests drive it with a
// manual clock, so edge cases of a schedule are deterministic and take no real time.
//
// Threaded mode waits in real time: use it with SystemClock.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "nw/core/clock.h"

namespace nw {

class Scheduler {
 public:
  using Task = std::function<void()>;
  using TimePoint = Clock::time_point;
  using StrandId = std::uint64_t;

  struct Options {
    std::size_t workers = 4;       // started at once and kept; 0: manual mode
    std::size_t max_workers = 12;  // at most this many at a time (>= workers)
    std::chrono::milliseconds idle_exit{10'000};
  };

  Scheduler(const Clock& clock, Options options);
  ~Scheduler();  // stop(now), then joins every worker
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  StrandId make_strand();
  // Forgets a strand: its tasks not yet started are dropped (a running one finishes).
  void drop_strand(StrandId strand);

  // Runs `task` on `strand` once `at` has come. After stop(), tasks are dropped.
  void schedule_at(StrandId strand, TimePoint at, Task task);
  void post(StrandId strand, Task task) { schedule_at(strand, clock_.now(), std::move(task)); }

  // From now on no task starts, and scheduled ones are dropped. Waits until the running tasks
  // have finished or `deadline` (real time) has come; returns whether they all finished.
  bool stop(std::chrono::steady_clock::time_point deadline);

  // Waits until no task is scheduled, runnable or running, or `deadline` has come; returns
  // whether it is idle (for --once: every poll and every cancel it started has finished).
  bool wait_idle(std::chrono::steady_clock::time_point deadline);

  // Manual mode: runs every task due at clock.now() (including ones they schedule that are
  // due too), one after another on this thread. Returns how many ran.
  std::size_t run_due();
  // Manual mode: the earliest due time of a scheduled task, if any.
  bool next_due(TimePoint& at) const;

  // Worker threads alive now, and the most there have been at once.
  std::size_t threads() const;
  std::size_t peak_threads() const;

 private:
  struct Timed {
    TimePoint at;
    std::uint64_t seq;
    StrandId strand;
    Task task;
  };
  struct Strand {
    std::deque<Task> ready;
    bool busy = false;
    bool queued = false;  // in runnable_
  };

  void worker(bool extra);
  // Moves the timers due at `now` to their strands' ready lists. Under mutex_.
  void promote_due(TimePoint now);
  void make_runnable(StrandId id, Strand& strand);
  bool idle_locked() const { return timers_.empty() && runnable_.empty() && running_ == 0; }
  // Takes the next runnable task (under mutex_); false when none.
  bool take(StrandId& id, Task& task);
  void finished(StrandId id);
  void start_worker(bool extra);
  // Under mutex_: whether a sleeping watcher wakes by the earliest deadline.
  bool earliest_covered() const;
  // Under mutex_: the deadline an idle worker should watch (the earliest one if no watcher wakes
  // by it, else the second one if none wakes by that), or false: it follows.
  bool choose_watch(TimePoint now, TimePoint& target) const;

  const Clock& clock_;
  const Options options_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;   // followers: idle workers waiting to be handed work
  std::condition_variable timer_cv_;  // the watcher: waits for the earliest deadline
  std::condition_variable idle_cv_;
  std::vector<Timed> timers_;  // a min-heap on (at, seq)
  std::deque<StrandId> runnable_;
  std::unordered_map<StrandId, Strand> strands_;
  std::uint64_t next_seq_ = 0;
  StrandId next_strand_ = 1;
  std::size_t running_ = 0;
  std::size_t idle_followers_ = 0;
  std::multiset<TimePoint> watch_targets_;  // what each sleeping watcher waits for
  std::size_t alive_ = 0;
  std::size_t peak_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> exited_;  // extra workers that left, to be joined
};

}  // namespace nw
