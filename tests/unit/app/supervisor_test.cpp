// The supervisor keeps one loop per endpoint and language of the configuration in force:
// added, removed and changed endpoints while running, and a setting that cannot work rejects
// the whole change. On fakes, with the manual scheduler.
#include "nw/app/supervisor.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "nw/io/logging.h"
#include "support/fake_neptune_client.h"
#include "support/manual_clock.h"
#include "support/recording_journal.h"

namespace nw {
namespace {

using namespace std::chrono_literals;

class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() {
    ConfigResult parsed = parse_config("[rule.long]\nmax_elapsed = 10s\n", "t.ini");
    holder_ = std::make_unique<ConfigHolder>(
        std::make_shared<const WatchdogConfig>(std::move(parsed.config)));
    budget_ = std::make_unique<CancelBudget>(holder_->get()->policy);
    cancels_ = std::make_unique<CancelDispatcher>(trail_, *budget_, status_, metrics_, *log_, stop_,
                                                  scheduler_, clock_);
    services_ = std::make_unique<PollerServices>(PollerServices{
        *holder_, trail_, *cancels_, status_, metrics_, *log_, stop_, clock_, scheduler_});
    supervisor_ =
        std::make_unique<Supervisor>(*services_, [this](const EndpointConfig& e, Language) {
          if (e.ca_file == "unreadable")
            throw EndpointSetupError("endpoint." + e.name + ".ca_file", "cannot set up TLS");
          ++clients_built_;
          return std::make_unique<test::FakeNeptuneClient>();
        });
  }
  ~SupervisorTest() override { scheduler_.stop(std::chrono::steady_clock::now()); }

  static EndpointConfig endpoint(const std::string& name,
                                 std::vector<Language> languages = {Language::opencypher}) {
    EndpointConfig e;
    e.name = name;
    std::string error;
    e.url = *parse_endpoint_url("http://127.0.0.1:1", error);
    e.languages = std::move(languages);
    return e;
  }
  std::vector<std::string> loop_names() const {
    std::vector<std::string> out;
    for (auto* l : supervisor_->loops()) out.push_back(l->name());
    return out;
  }
  Supervisor::Changes apply(const std::vector<EndpointConfig>& endpoints) {
    return supervisor_->apply(endpoints, clock_.now(), 0ms);
  }

  test::ManualClock clock_;
  Scheduler scheduler_{clock_, Scheduler::Options{0, 0}};
  test::RecordingJournal journal_;
  AuditTrail trail_{journal_};
  StopToken stop_;
  ServiceStatus status_{{}};
  Metrics metrics_;
  std::shared_ptr<spdlog::logger> log_ = make_diagnostic_logger(LogLevel::error);
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<CancelBudget> budget_;
  std::unique_ptr<CancelDispatcher> cancels_;
  std::unique_ptr<PollerServices> services_;
  std::unique_ptr<Supervisor> supervisor_;
  int clients_built_ = 0;
};

TEST_F(SupervisorTest, AddsRemovesAndReplacesLoopsByEndpoint) {
  auto changes =
      apply({endpoint("writer"), endpoint("reader", {Language::opencypher, Language::gremlin})});
  EXPECT_EQ(changes.added, (std::vector<std::string>{"writer", "reader"}));
  EXPECT_EQ(loop_names(),
            (std::vector<std::string>{"writer", "reader/opencypher", "reader/gremlin"}));
  EXPECT_EQ(clients_built_, 3);

  // The same settings again: nothing changes, nothing is rebuilt.
  EXPECT_FALSE(
      apply({endpoint("writer"), endpoint("reader", {Language::opencypher, Language::gremlin})})
          .any());
  EXPECT_EQ(clients_built_, 3);

  // reader removed, writer's request_timeout changed (any key counts), auditor added.
  EndpointConfig slower = endpoint("writer");
  slower.request_timeout = 30s;
  changes = apply({slower, endpoint("auditor")});
  EXPECT_EQ(changes.removed, std::vector<std::string>{"reader"});
  EXPECT_EQ(changes.changed, std::vector<std::string>{"writer"});
  EXPECT_EQ(changes.added, std::vector<std::string>{"auditor"});
  EXPECT_EQ(loop_names(), (std::vector<std::string>{"writer", "auditor"}));
  EXPECT_EQ(supervisor_->endpoint_names(), (std::vector<std::string>{"writer", "auditor"}));

  // The retired loops (old writer, both of reader) drain on their strands, then are destroyed.
  EXPECT_EQ(supervisor_->retiring(), 3u);
  scheduler_.run_due();
  supervisor_->collect();
  EXPECT_EQ(supervisor_->retiring(), 0u);
}

TEST_F(SupervisorTest, ASettingThatCannotWorkChangesNothing) {
  apply({endpoint("writer")});
  EndpointConfig broken = endpoint("reader");
  broken.ca_file = "unreadable";
  EXPECT_THROW(apply({broken}), EndpointSetupError);  // would also have removed writer
  EXPECT_EQ(loop_names(), std::vector<std::string>{"writer"});
  EXPECT_EQ(supervisor_->retiring(), 0u);
}

}  // namespace
}  // namespace nw
