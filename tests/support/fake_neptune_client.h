#pragma once
// A NeptuneClient that answers from a script and records every call, for tests of the poll
// loop and the cancel path without sockets or real time. Safe to call from several threads.
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nw/io/neptune_client.h"

namespace nw::test {

class FakeNeptuneClient final : public NeptuneClient {
 public:
  // Each call takes the next scripted answer of its kind; when none is left, the fallback
  // (for lists: an empty list; for cancels: acknowledged; for checks by id: not found).
  void script_list(Result<StatusSnapshot> answer) {
    lock([&] { lists_.push_back(std::move(answer)); });
  }
  void fallback_list(Result<StatusSnapshot> answer) {
    lock([&] { list_fallback_ = std::move(answer); });
  }
  void script_get(Result<QueryStatus> answer) {
    lock([&] { gets_.push_back(std::move(answer)); });
  }
  void script_cancel(Result<CancelAck> answer) {
    lock([&] { cancels_.push_back(std::move(answer)); });
  }

  // "list", "get ID", "cancel ID" (with " silent" when asked), in the order made.
  std::vector<std::string> calls() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return calls_;
  }
  std::vector<std::string> cancels() const {
    std::vector<std::string> out;
    for (const auto& c : calls())
      if (c.rfind("cancel ", 0) == 0) out.push_back(c);
    return out;
  }

  Result<StatusSnapshot> list_queries() override {
    std::lock_guard<std::mutex> guard(mutex_);
    calls_.push_back("list");
    return take(lists_, list_fallback_.value_or(Result<StatusSnapshot>(StatusSnapshot{})));
  }
  Result<QueryStatus> get_query(const std::string& id) override {
    std::lock_guard<std::mutex> guard(mutex_);
    calls_.push_back("get " + id);
    return take(gets_, Result<QueryStatus>(Failure{FailureKind::query_not_found, 400,
                                                   "InvalidParameterException", ""}));
  }
  Result<CancelAck> cancel_query(const std::string& id, bool silent) override {
    const int inside = ++cancels_inside_;
    for (int seen = max_cancels_inside_.load();
         inside > seen && !max_cancels_inside_.compare_exchange_weak(seen, inside);) {
    }
    if (cancel_delay_.count() > 0) std::this_thread::sleep_for(cancel_delay_);  // a slow Neptune
    std::lock_guard<std::mutex> guard(mutex_);
    --cancels_inside_;
    calls_.push_back("cancel " + id + (silent ? " silent" : ""));
    return take(cancels_, Result<CancelAck>(CancelAck{}));
  }

  // Each cancel takes this long to be answered (real time: for tests on a threaded scheduler).
  void set_cancel_delay(std::chrono::milliseconds delay) { cancel_delay_ = delay; }
  // The most cancels that were waiting for their answer at the same time.
  int max_concurrent_cancels() const { return max_cancels_inside_.load(); }

 private:
  template <class F>
  void lock(F f) {
    std::lock_guard<std::mutex> guard(mutex_);
    f();
  }
  template <class T>
  static Result<T> take(std::deque<Result<T>>& queue, Result<T> fallback) {
    if (queue.empty()) return fallback;
    Result<T> next = std::move(queue.front());
    queue.pop_front();
    return next;
  }

  mutable std::mutex mutex_;
  std::deque<Result<StatusSnapshot>> lists_;
  std::optional<Result<StatusSnapshot>> list_fallback_;
  std::deque<Result<QueryStatus>> gets_;
  std::deque<Result<CancelAck>> cancels_;
  std::vector<std::string> calls_;
  std::chrono::milliseconds cancel_delay_{0};
  std::atomic<int> cancels_inside_{0};
  std::atomic<int> max_cancels_inside_{0};
};

}  // namespace nw::test
