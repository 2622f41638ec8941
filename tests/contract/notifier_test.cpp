// The notifier with real sinks against a webhook receiver on loopback: one message per batch
// window, retries then a counted drop, a full queue, explicit events, reload and shutdown.
// Times are generous guards against a hang; nothing here asserts how fast anything was.
#include "nw/app/notifier.h"

#include <chrono>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "nw/io/exchange_reaper.h"
#include "nw/io/neptune_client.h"
#include "support/eventually.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test::eventually;
using test::ScriptedHttpServer;
using test::ScriptedResponse;

AuditRecord cancelled(const std::string& id, const std::string& rule = "long-reads") {
  AuditRecord r;
  r.time = std::chrono::system_clock::now();
  r.endpoint = "writer";
  r.query_id = id;
  r.rule = rule;
  r.outcome = AuditOutcome::cancelled;
  r.query = "MATCH (n) RETURN n";
  return r;
}

struct Harness {
  Harness() {
    log = std::make_shared<spdlog::logger>(
        "notifier-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text));
    log->set_level(spdlog::level::debug);
    options.retry = RetrySettings{3, milliseconds(20), milliseconds(50)};
    options.abort_sends = [r = reaper] { r->abort_all(); };
  }
  NotifyConfig webhook(const std::string& name = "chat") const {
    NotifyConfig n;
    n.name = name;
    n.batch_window = milliseconds(300);
    n.timeout = milliseconds(2000);
    std::string why;
    n.webhook =
        parse_webhook_url("http://127.0.0.1:" + std::to_string(server.port()) + "/hook", why);
    return n;
  }
  std::unique_ptr<Notifier> notifier() {
    return std::make_unique<Notifier>(
        metrics, *log,
        [this](const NotifyConfig& n) { return make_notification_sink(n, nullptr, reaper); },
        options);
  }
  bool metric(const std::string& line) const {
    return metrics.render().find(line + "\n") != std::string::npos;
  }
  std::string logged() {
    log->flush();
    return log_text.str();
  }

  ScriptedHttpServer server;
  Metrics metrics{"test"};
  std::ostringstream log_text;
  std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<ExchangeReaper> reaper = std::make_shared<ExchangeReaper>();
  NotifierOptions options;
};

TEST(Notifier, SeveralEventsInOneWindowAreOneMessage) {
  Harness h;
  h.server.set_fallback(ScriptedResponse{200, "ok", "text/plain"});
  auto notifier = h.notifier();
  notifier->configure({h.webhook()});
  EXPECT_TRUE(h.metric("neptune_watchdog_notifications_sent_total{sink=\"chat\"} 0"));
  for (const char* id : {"q-1", "q-2", "q-3"}) notifier->record(cancelled(id), true);
  // Not notified: a record not written, and outcomes that are not events.
  notifier->record(cancelled("q-unwritten"), false);
  AuditRecord sending = cancelled("q-4");
  sending.outcome = AuditOutcome::sending;
  notifier->record(sending, true);
  ASSERT_TRUE(eventually([&] { return h.server.requests().size() == 1; }, seconds(10)));
  // Nothing more comes for the same events.
  std::this_thread::sleep_for(milliseconds(600));
  const auto requests = h.server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].body.find("\"count\":3"), std::string::npos) << requests[0].body;
  for (const char* id : {"q-1", "q-2", "q-3"})
    EXPECT_NE(requests[0].body.find(std::string("\"query_id\":\"") + id), std::string::npos);
  EXPECT_EQ(requests[0].body.find("q-unwritten"), std::string::npos);
  EXPECT_EQ(requests[0].body.find("q-4"), std::string::npos);
  EXPECT_TRUE(h.metric("neptune_watchdog_notifications_sent_total{sink=\"chat\"} 1"));
}

TEST(Notifier, AServerErrorIsRetriedThenTheMessageIsDroppedAndCounted) {
  Harness h;
  h.server.set_fallback(ScriptedResponse{500, "oops", "text/plain"});
  auto notifier = h.notifier();
  notifier->configure({h.webhook()});
  notifier->record(cancelled("q-1"), true);
  ASSERT_TRUE(eventually(
      [&] { return h.metric("neptune_watchdog_notifications_failed_total{sink=\"chat\"} 1"); },
      seconds(10)));
  EXPECT_EQ(h.server.requests().size(), 3u);  // max_attempts
  EXPECT_TRUE(h.metric("neptune_watchdog_notifications_sent_total{sink=\"chat\"} 0"));
  EXPECT_NE(h.logged().find("notify chat: message of 1 event(s) to webhook http://127.0.0.1:"),
            std::string::npos)
      << h.logged();
  EXPECT_EQ(h.logged().find("/hook"), std::string::npos);  // the path may be the secret
}

TEST(Notifier, ARedirectIsNotFollowedNorRetried) {
  Harness h;
  h.server.set_fallback(ScriptedResponse{301, "", "text/plain"});
  auto notifier = h.notifier();
  notifier->configure({h.webhook()});
  notifier->record(cancelled("q-1"), true);
  ASSERT_TRUE(eventually(
      [&] { return h.metric("neptune_watchdog_notifications_failed_total{sink=\"chat\"} 1"); },
      seconds(10)));
  EXPECT_EQ(h.server.requests().size(), 1u);
}

TEST(Notifier, AFullQueueDropsCountsAndWarnsOnceAndObserversNeverWait) {
  Harness h;
  // The receiver hangs: the first message holds the channel's thread while events pile up.
  h.server.set_fallback(ScriptedResponse{200, "late", "text/plain", seconds(30)});
  h.options.queue_capacity = 5;
  h.options.retry = RetrySettings{1, milliseconds(10), milliseconds(10)};
  auto notifier = h.notifier();
  NotifyConfig n = h.webhook();
  n.timeout = seconds(20);
  notifier->configure({n});
  notifier->record(cancelled("first"), true);
  ASSERT_TRUE(eventually([&] { return h.server.requests().size() == 1; }, seconds(10)));
  for (int i = 0; i < 25; ++i) notifier->record(cancelled("q-" + std::to_string(i)), true);
  EXPECT_TRUE(h.metric("neptune_watchdog_notifications_dropped_total{sink=\"chat\"} 20"));
  const std::string logged = h.logged();
  EXPECT_NE(logged.find("notify chat: queue full (5 events waiting for webhook"), std::string::npos)
      << logged;
  // Rate-limited: one warning for the burst.
  std::size_t warnings = 0;
  for (auto at = logged.find("queue full"); at != std::string::npos;
       at = logged.find("queue full", at + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u);
  // Shutdown does not wait for the hanging receiver beyond its deadline.
  notifier->stop(steady_clock::now() + milliseconds(300));
  EXPECT_NE(h.logged().find("notify: gave up on chat at shutdown"), std::string::npos)
      << h.logged();
}

TEST(Notifier, ExplicitEventsReachTheSectionsThatWantThem) {
  Harness h;
  h.server.set_fallback(ScriptedResponse{200, "ok", "text/plain"});
  auto notifier = h.notifier();
  NotifyConfig wants = h.webhook("ops");
  wants.on = {NotifyOn::paused, NotifyOn::quarantine};
  notifier->configure({wants});
  notifier->record(cancelled("q-1"), true);  // not wanted by this section
  // What the quarantine book calls when it puts a shape in quarantine.
  notifier->notify(quarantine_event(std::chrono::system_clock::now(), "writer", "long-reads",
                                    "3f2a9c0d11b2e4f5", "cancelled 3 times in 10m"));
  notifier->notify(
      paused_event(std::chrono::system_clock::now(), "the audit log /var/log/a cannot be written"));
  ASSERT_TRUE(eventually([&] { return h.server.requests().size() == 1; }, seconds(10)));
  const std::string body = h.server.requests()[0].body;
  EXPECT_NE(body.find("\"count\":2"), std::string::npos) << body;
  EXPECT_NE(body.find("\"fingerprint\":\"3f2a9c0d11b2e4f5\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"event\":\"paused\""), std::string::npos) << body;
  EXPECT_EQ(body.find("q-1"), std::string::npos) << body;
}

TEST(Notifier, APauseIsToldOnceWhenItBeginsAndAgainAfterAResume) {
  Harness h;
  h.server.set_fallback(ScriptedResponse{200, "ok", "text/plain"});
  auto notifier = h.notifier();
  NotifyConfig n = h.webhook("ops");
  n.on = {NotifyOn::paused};
  n.batch_window = seconds(60);
  notifier->configure({n});
  const std::string cause = "the audit log /var/log/a cannot be written (No space left on device)";
  notifier->cancelling_paused(false, "");
  notifier->cancelling_paused(true, cause);
  notifier->cancelling_paused(true, cause);  // still paused: told already
  notifier->cancelling_paused(false, "");
  notifier->cancelling_paused(true, cause);  // paused again
  notifier->stop(steady_clock::now() + seconds(5));
  ASSERT_EQ(h.server.requests().size(), 1u);
  const std::string body = h.server.requests()[0].body;
  EXPECT_NE(body.find("\"count\":2"), std::string::npos) << body;
  EXPECT_NE(body.find("No space left on device"), std::string::npos) << body;
}

TEST(Notifier, StopSendsWhatIsQueuedAtOnce) {
  Harness h;
  h.server.set_fallback(ScriptedResponse{200, "ok", "text/plain"});
  auto notifier = h.notifier();
  NotifyConfig n = h.webhook();
  n.batch_window = seconds(60);  // would wait a minute
  notifier->configure({n});
  notifier->record(cancelled("q-1"), true);
  notifier->stop(steady_clock::now() + seconds(5));
  ASSERT_EQ(h.server.requests().size(), 1u);
  EXPECT_NE(h.server.requests()[0].body.find("q-1"), std::string::npos);
  // After stop, events are ignored.
  notifier->record(cancelled("q-2"), true);
  EXPECT_EQ(h.server.requests().size(), 1u);
}

TEST(Notifier, AReloadKeepsAnUnchangedSectionAndFlushesARemovedOne) {
  Harness h;
  h.server.set_fallback(ScriptedResponse{200, "ok", "text/plain"});
  auto notifier = h.notifier();
  NotifyConfig kept = h.webhook("kept");
  kept.batch_window = seconds(60);
  NotifyConfig removed = h.webhook("removed");
  removed.batch_window = seconds(60);
  notifier->configure({kept, removed});
  notifier->record(cancelled("q-1"), true);
  notifier->commit(notifier->prepare({kept}));
  // The removed section sent what it held; the kept one still holds its event.
  ASSERT_TRUE(eventually([&] { return h.server.requests().size() == 1; }, seconds(10)));
  EXPECT_TRUE(h.metric("neptune_watchdog_notifications_sent_total{sink=\"kept\"} 0"));
  EXPECT_EQ(h.metrics.render().find("sink=\"removed\""), std::string::npos);
  notifier->stop(steady_clock::now() + seconds(5));
  EXPECT_EQ(h.server.requests().size(), 2u);
}

TEST(Notifier, ASinkThatCannotBeBuiltFailsThePreparationAndChangesNothing) {
  Harness h;
  auto notifier = h.notifier();
  notifier->configure({h.webhook()});
  NotifyConfig bad = h.webhook("tls");
  std::string why;
  bad.webhook = parse_webhook_url("https://127.0.0.1:1/x", why);
  bad.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(notifier->prepare({bad}), EndpointSetupError);
  EXPECT_TRUE(h.metric("neptune_watchdog_notifications_sent_total{sink=\"chat\"} 0"));
}

}  // namespace
}  // namespace nw
