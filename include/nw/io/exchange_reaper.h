#pragma once
// Holds every HTTP exchange to its absolute deadline, and ends them all at shutdown.
//
// Poco's sockets time out per read: a peer that sends one byte a second keeps a blocking read
// alive for as long as it likes, through the status line, the headers, the chunk-size lines
// and the body. The reaper's one thread shuts down (shutdown(2), not close) the socket of an
// exchange that passes its deadline; the blocked read returns at once and the exchange reports
// a timeout. abort_all() does the same to every exchange in progress and to every later one,
// so that at shutdown no worker stays on a stuck peer and the daemon can wait for its workers
// instead of abandoning them.
//
// Thread-safe. The socket is only ever shut down while its exchange still holds the Watch: the
// Watch is finished (under the reaper's lock) before the socket can be closed or reused.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace nw {

class ExchangeReaper {
 public:
  enum class Fate {
    running,  // not touched by the reaper
    expired,  // shut down at its deadline
    aborted,  // shut down by abort_all()
  };

  // One exchange's registration. Move-only; finishing (or destroying) it ends the watch.
  class Watch {
   public:
    Watch() = default;
    Watch(Watch&& other) noexcept;
    Watch& operator=(Watch&& other) noexcept;
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    ~Watch();

    // Ends the watch: the reaper never touches the socket again. Says what it did to it, if
    // anything (a socket it shut down must not be reused).
    Fate finish();

   private:
    friend class ExchangeReaper;
    Watch(ExchangeReaper* reaper, std::uint64_t id) : reaper_(reaper), id_(id) {}
    ExchangeReaper* reaper_ = nullptr;
    std::uint64_t id_ = 0;
  };

  ExchangeReaper();
  ~ExchangeReaper();
  ExchangeReaper(const ExchangeReaper&) = delete;
  ExchangeReaper& operator=(const ExchangeReaper&) = delete;

  // Watches socket `fd` until `deadline`. After abort_all() the socket is shut down at once
  // (the Watch's fate is `aborted`).
  Watch watch(int fd, std::chrono::steady_clock::time_point deadline);

  // Shuts down every watched socket and every one watched later. For shutdown; not undone.
  void abort_all();
  bool aborting() const;

  // For clients built without one (tools, tests): one per process, never aborted.
  static std::shared_ptr<ExchangeReaper> process_default();

 private:
  struct Entry {
    int fd;
    std::chrono::steady_clock::time_point deadline;
    Fate fate;
  };
  Fate finish(std::uint64_t id);
  void run();

  // How long the thread sleeps with nothing to watch (see run()).
  static constexpr std::chrono::seconds kIdleHorizon{1};

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  bool aborting_ = false;
  bool stopping_ = false;
  // When the reaper's thread wakes next on its own (min while it is awake).
  std::chrono::steady_clock::time_point sleeping_until_ =
      std::chrono::steady_clock::time_point::min();
  std::thread thread_;
};

}  // namespace nw
