#include "nw/app/notifier.h"

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "nw/core/aws_role.h"
#include "nw/io/credential_chains.h"
#include "nw/io/exchange_reaper.h"

namespace nw {

using std::chrono::steady_clock;

// One section in force: its sink, its queue and its thread.
class Notifier::Channel {
 public:
  Channel(NotifyConfig config, std::unique_ptr<NotificationSink> sink, Metrics& metrics,
          spdlog::logger& log, const NotifierOptions& options)
      : config_(std::move(config)),
        sink_(std::move(sink)),
        metrics_(metrics),
        log_(log),
        options_(options),
        batcher_(config_.batch_window, options.queue_capacity) {}

  ~Channel() {
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  const NotifyConfig& config() const { return config_; }

  // The observer's side: a push under the lock, the warning (if any) after it.
  void offer(const NotificationEvent& event) {
    if (!wanted(config_, event)) return;
    std::optional<std::uint64_t> warn_dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      const auto now = steady_clock::now();
      if (batcher_.add(event, now)) {
        if (batcher_.size() == 1) wake_.notify_one();
        return;
      }
      ++dropped_unlogged_;
      if (!last_drop_warning_ || now - *last_drop_warning_ >= options_.drop_warning_interval) {
        last_drop_warning_ = now;
        warn_dropped = dropped_unlogged_;
        dropped_unlogged_ = 0;
      }
    }
    metrics_.notifications_dropped(config_.name, 1);
    if (warn_dropped)
      log_.warn(
          "notify {}: queue full ({} events waiting for {}): {} event(s) dropped since the last "
          "warning",
          config_.name, options_.queue_capacity, sink_->where(), *warn_dropped);
  }

  // Sends what is queued at once and ends the thread; sends end by `deadline`.
  void finish(steady_clock::time_point deadline) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      flush_deadline_ = deadline;
    }
    wake_.notify_all();
  }

  void abandon() {
    abandoned_ = true;
    sink_->abandon();
    wake_.notify_all();
  }

  bool done() const { return done_; }
  std::size_t waiting() {
    std::lock_guard<std::mutex> lock(mutex_);
    return batcher_.size();
  }
  std::string where() const { return sink_->where(); }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      const auto due = batcher_.due();
      if (stopping_) {
        if (due && !abandoned_) {
          NotificationBatch batch = batcher_.take(config_.name, steady_clock::now());
          lock.unlock();
          deliver(batch);
          lock.lock();
          continue;
        }
        break;
      }
      if (!due) {
        wake_.wait(lock);
        continue;
      }
      if (steady_clock::now() < *due) {
        wake_.wait_until(lock, *due);
        continue;
      }
      NotificationBatch batch = batcher_.take(config_.name, steady_clock::now());
      lock.unlock();
      deliver(batch);
      lock.lock();
    }
    done_ = true;
  }

  // Sends one message, retried while worth it; never throws.
  void deliver(const NotificationBatch& batch) {
    std::minstd_rand random(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int attempts = std::max(1, options_.retry.max_attempts);
    std::optional<Failure> failure;
    int attempt = 1;
    for (;; ++attempt) {
      auto deadline = steady_clock::now() + config_.timeout;
      if (!config_.command.empty()) deadline = steady_clock::now() + config_.command_timeout;
      bool final_flush = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) {
          deadline = std::min(deadline, flush_deadline_);
          final_flush = true;
        }
      }
      if (abandoned_) break;
      try {
        failure = sink_->send(batch, deadline);
      } catch (const std::exception& e) {
        failure = Failure{FailureKind::transport, 0, "", sink_->where() + ": " + e.what()};
      }
      if (!failure) {
        metrics_.notification_sent(config_.name);
        log_.debug("notify {}: sent {} event(s) to {}", config_.name, batch.events.size(),
                   sink_->where());
        return;
      }
      if (attempt >= attempts || !worth_retrying(*failure) || final_flush) break;
      const auto pause = backoff_delay(options_.retry, attempt, unit(random));
      log_.debug("notify {}: attempt {} to {} failed ({}); retrying in {}ms", config_.name, attempt,
                 sink_->where(), failure->describe(), pause.count());
      std::unique_lock<std::mutex> lock(mutex_);
      // A stop cuts the pause short: the next attempt is the final flush's.
      wake_.wait_for(lock, pause, [this] { return stopping_ || abandoned_.load(); });
    }
    metrics_.notification_failed(config_.name);
    log_.warn("notify {}: message of {} event(s) to {} dropped after {} attempt(s): {}",
              config_.name, batch.events.size(), sink_->where(), attempt,
              failure ? failure->describe() : std::string("abandoned at shutdown"));
  }

  const NotifyConfig config_;
  const std::unique_ptr<NotificationSink> sink_;
  Metrics& metrics_;
  spdlog::logger& log_;
  const NotifierOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  NotificationBatcher batcher_;
  bool stopping_ = false;
  steady_clock::time_point flush_deadline_{};
  std::atomic<bool> abandoned_{false};
  std::atomic<bool> done_{false};
  std::uint64_t dropped_unlogged_ = 0;
  std::optional<steady_clock::time_point> last_drop_warning_;
  std::thread thread_;
};

Notifier::Notifier(Metrics& metrics, spdlog::logger& log, SinkFactory make_sink,
                   NotifierOptions options)
    : metrics_(metrics),
      log_(log),
      make_sink_(std::move(make_sink)),
      options_(std::move(options)) {}

Notifier::~Notifier() {
  stop(steady_clock::now() + std::chrono::seconds(2));
}

Notifier::Plan Notifier::prepare(const std::vector<NotifyConfig>& sections) const {
  Plan plan;
  const auto in_force = channels();
  for (const auto& section : sections) {
    const bool unchanged =
        std::any_of(in_force.begin(), in_force.end(), [&](const std::shared_ptr<Channel>& c) {
          return c->config().name == section.name &&
                 describe_notify(c->config()) == describe_notify(section) &&
                 c->config().headers == section.headers &&
                 // describe_notify hides a webhook's path: compared whole here.
                 (c->config().webhook ? c->config().webhook->to_string() : "") ==
                     (section.webhook ? section.webhook->to_string() : "");
        });
    plan.sections.push_back(section);
    plan.sinks.push_back(unchanged ? nullptr : make_sink_(section));
  }
  return plan;
}

void Notifier::commit(Plan plan) {
  std::vector<std::shared_ptr<Channel>> next, leaving, finished;
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    for (std::size_t i = 0; i < plan.sections.size(); ++i) {
      const auto& section = plan.sections[i];
      names.push_back(section.name);
      if (!plan.sinks[i]) {
        const auto kept = std::find_if(
            channels_.begin(), channels_.end(),
            [&](const std::shared_ptr<Channel>& c) { return c->config().name == section.name; });
        if (kept != channels_.end()) {
          next.push_back(*kept);
          continue;
        }
      }
      auto channel =
          std::make_shared<Channel>(section, std::move(plan.sinks[i]), metrics_, log_, options_);
      channel->start();
      next.push_back(std::move(channel));
    }
    for (auto& c : channels_)
      if (std::find(next.begin(), next.end(), c) == next.end()) leaving.push_back(c);
    channels_ = std::move(next);
    // Channels retired earlier whose threads have ended are let go (joined: they returned).
    for (auto it = retired_.begin(); it != retired_.end();)
      if ((*it)->done()) {
        finished.push_back(*it);
        it = retired_.erase(it);
      } else {
        ++it;
      }
    retired_.insert(retired_.end(), leaving.begin(), leaving.end());
  }
  metrics_.notification_sinks(names);
  // A changed or removed section sends what it holds now, with the sink it was queued for.
  for (auto& c : leaving) c->finish(steady_clock::now() + std::chrono::seconds(5));
  for (const auto& section : plan.sections) {
    std::string on;
    for (NotifyOn e : section.on) on += (on.empty() ? "" : ", ") + std::string(to_string(e));
    const auto channel = std::find_if(
        channels_.begin(), channels_.end(),
        [&](const std::shared_ptr<Channel>& c) { return c->config().name == section.name; });
    log_.info("notify {}: {} events to {}, at most one message every {}", section.name, on,
              channel != channels_.end() ? (*channel)->where() : std::string("?"),
              format_duration(section.batch_window));
  }
}

std::vector<std::shared_ptr<Notifier::Channel>> Notifier::channels() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return channels_;
}

void Notifier::record(const AuditRecord& record, bool written) {
  // A record the audit log did not take is not reported as done: the pause event says why.
  if (!written) return;
  const auto event = notification_of(record);
  if (!event) return;
  notify(*event);
}

void Notifier::notify(const NotificationEvent& event) {
  for (const auto& channel : channels()) channel->offer(event);
}

void Notifier::cancelling_paused(bool paused, const std::string& cause) {
  if (!paused)
    paused_told_ = false;
  else if (!paused_told_.exchange(true))
    notify(paused_event(std::chrono::system_clock::now(), cause));
}

void Notifier::stop(steady_clock::time_point deadline) {
  std::vector<std::shared_ptr<Channel>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    all = channels_;
    all.insert(all.end(), retired_.begin(), retired_.end());
    channels_.clear();
    retired_.clear();
  }
  std::size_t waiting = 0;
  for (auto& c : all) {
    waiting += c->waiting();
    c->finish(deadline);
  }
  if (waiting > 0) log_.info("notify: sending the {} event(s) still queued", waiting);
  const auto all_done = [&] {
    return std::all_of(all.begin(), all.end(), [](const auto& c) { return c->done(); });
  };
  while (!all_done() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!all_done()) {
    std::string late;
    for (auto& c : all)
      if (!c->done()) {
        late += (late.empty() ? "" : ", ") + c->config().name;
        c->abandon();
      }
    if (options_.abort_sends) options_.abort_sends();
    log_.warn("notify: gave up on {} at shutdown: their last message was not delivered in time",
              late);
  }
  all.clear();  // joins the threads, which return at once once abandoned
}

std::shared_ptr<ExchangeReaper> NotifierReaper::get() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!reaper_) reaper_ = std::make_shared<ExchangeReaper>();
  return reaper_;
}

void NotifierReaper::abort_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (reaper_) reaper_->abort_all();
}

Notifier::SinkFactory daemon_notification_sinks(CredentialChains& chains,
                                                std::shared_ptr<NotifierReaper> reaper) {
  return [&chains, reaper](const NotifyConfig& section) {
    std::shared_ptr<CredentialChain> credentials;
    if (!section.sns_topic_arn.empty()) {
      CredentialChainKey key{section.profile, section.sns_region(), section.role_arn, "", ""};
      if (!section.role_arn.empty()) key.role_session_name = kDefaultRoleSessionName;
      credentials = chains.get(key, section.timeout);
    }
    const bool over_http = section.webhook.has_value() || !section.sns_topic_arn.empty();
    return make_notification_sink(section, std::move(credentials),
                                  over_http ? reaper->get() : nullptr);
  };
}

}  // namespace nw
