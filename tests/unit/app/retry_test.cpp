#include "nw/app/retry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nw {
namespace {

Failure neptune(int status, const char* code, const char* message = "") {
  return Failure{FailureKind::neptune_error, status, code, message};
}

struct Observed {
  Failure failure;
  int attempts;
  Millis pause;
};

using Steps = std::vector<std::optional<Failure>>;

// The step played by call number `i` (0-based): the last step repeats.
const std::optional<Failure>& step_at(const Steps& steps, int i) {
  return steps.at(std::min<std::size_t>(static_cast<std::size_t>(i), steps.size() - 1));
}

// Plays `script` in order: a Failure or (once a success is reached) the value 42.
struct Script {
  Steps steps;  // nullopt: success
  int calls = 0;
  Result<int> operator()() {
    const auto& step = step_at(steps, calls);
    ++calls;
    if (step) return *step;
    return 42;
  }
};

TEST(CallWithRetries, RetriesOnlyWhatIsRetryableUpToMaxAttempts) {
  const Failure throttled = neptune(429, "TooManyRequestsException", "slow down");
  const Failure refused{FailureKind::transport, 0, "", "Connection refused"};
  const Failure invalid = neptune(400, "InvalidParameterException", "bad");
  const Failure gone = neptune(400, "InvalidParameterException", "Supplied queryId a is invalid");
  const Failure gone_kind{FailureKind::query_not_found, 400, "InvalidParameterException", "Supplied queryId a is invalid"};
  const Failure bad{FailureKind::bad_response, 200, "", "status body: not a JSON object"};
  struct Row {
    const char* name;
    Steps script;
    int max_attempts;
    bool ok;
    int attempts;
    int observed;
    FailureKind kind;  // when !ok
  } rows[] = {
      {"succeeds first try", {std::nullopt}, 5, true, 1, 0, {}},
      {"429 then success", {throttled, std::nullopt}, 5, true, 2, 1, {}},
      {"three retryable then success", {refused, throttled, neptune(500, "ThrottlingException"), std::nullopt}, 5, true, 4, 3, {}},
      {"success on the last allowed try", {throttled, throttled, std::nullopt}, 3, true, 3, 2, {}},
      {"non-retryable stops after one", {invalid, std::nullopt}, 5, false, 1, 0, FailureKind::neptune_error},
      {"query not found is final", {gone_kind, std::nullopt}, 5, false, 1, 0, FailureKind::query_not_found},
      {"unclassified invalid-id is final", {gone, std::nullopt}, 5, false, 1, 0, FailureKind::neptune_error},
      {"bad response is final", {bad, std::nullopt}, 5, false, 1, 0, FailureKind::bad_response},
      {"500 without code is final", {neptune(500, ""), std::nullopt}, 5, false, 1, 0, FailureKind::neptune_error},
      {"gives up at max_attempts", {refused}, 4, false, 4, 3, FailureKind::transport},
      {"max_attempts one never retries", {throttled, std::nullopt}, 1, false, 1, 0, FailureKind::neptune_error},
      {"retryable then final", {throttled, invalid, std::nullopt}, 5, false, 2, 1, FailureKind::neptune_error},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    Script script{row.script};
    const RetrySettings settings{row.max_attempts, Millis(100), Millis(5000)};
    StopToken stop;
    std::vector<Observed> observed;
    const auto result = call_with_retries<int>(
        std::ref(script), settings, stop, [] { return 0.0; },
        [&](const Failure& f, int attempts, Millis pause) { observed.push_back({f, attempts, pause}); });
    EXPECT_EQ(result.result.ok(), row.ok);
    EXPECT_EQ(result.attempts, row.attempts);
    EXPECT_EQ(script.calls, row.attempts);
    EXPECT_EQ(static_cast<int>(observed.size()), row.observed);
    for (int i = 0; i < static_cast<int>(observed.size()); ++i) {
      EXPECT_EQ(observed[i].attempts, i + 1);
      EXPECT_EQ(observed[i].pause, Millis(0));
      EXPECT_EQ(observed[i].failure.describe(), step_at(row.script, i)->describe());
    }
    if (row.ok) {
      EXPECT_EQ(result.result.value(), 42);
    } else {
      EXPECT_EQ(result.result.failure().kind, row.kind);
      EXPECT_EQ(result.result.failure().describe(), step_at(row.script, row.attempts - 1)->describe());
    }
  }
}

// The audit's `attempts` counts HTTP tries: a call that found no credentials sent nothing.
TEST(CallWithRetries, ACallWithoutCredentialsIsNotAnAttempt) {
  const Failure no_credentials{FailureKind::credentials, 0, "", "no AWS credentials"};
  const Failure refused{FailureKind::transport, 0, "", "Connection refused"};
  const RetrySettings settings{5, Millis(0), Millis(0)};
  StopToken stop;
  Script alone{{no_credentials}};
  const auto first = call_with_retries<int>(std::ref(alone), settings, stop, [] { return 0.0; });
  EXPECT_EQ(first.result.failure().kind, FailureKind::credentials);
  EXPECT_EQ(alone.calls, 1);
  EXPECT_EQ(first.attempts, 0);

  Script after_a_refusal{{refused, no_credentials}};
  const auto second =
      call_with_retries<int>(std::ref(after_a_refusal), settings, stop, [] { return 0.0; });
  EXPECT_EQ(second.result.failure().kind, FailureKind::credentials);
  EXPECT_EQ(after_a_refusal.calls, 2);
  EXPECT_EQ(second.attempts, 1);
}

TEST(CallWithRetries, PausesAreJitteredCappedExponential) {
  struct Row {
    const char* name;
    double u;
    std::vector<long long> pauses_ms;
  } rows[] = {
      {"full ceiling", 1.0, {1, 2, 4, 5}},
      {"half ceiling", 0.5, {0, 1, 2, 2}},
      {"zero", 0.0, {0, 0, 0, 0}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    Script script{{Failure{FailureKind::timeout, 0, "", ""}}};
    const RetrySettings settings{5, Millis(1), Millis(5)};
    StopToken stop;
    std::vector<long long> pauses;
    int draws = 0;
    const auto result = call_with_retries<int>(
        std::ref(script), settings, stop, [&] { ++draws; return row.u; },
        [&](const Failure&, int, Millis pause) { pauses.push_back(pause.count()); });
    EXPECT_FALSE(result.result.ok());
    EXPECT_EQ(result.attempts, 5);
    EXPECT_EQ(draws, 4);
    EXPECT_EQ(pauses, row.pauses_ms);
  }
}

TEST(CallWithRetries, StopDuringBackoffAborts) {
  struct Row {
    const char* name;
    Failure failure;
    std::string message;
  } rows[] = {
      {"throttled", neptune(429, "TooManyRequestsException", "slow down"),
       "shutdown during retry back-off after: TooManyRequestsException (HTTP 429): slow down"},
      {"transport", Failure{FailureKind::transport, 0, "", "Connection refused"},
       "shutdown during retry back-off after: transport error: Connection refused"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    Script script{{row.failure, std::nullopt}};
    const RetrySettings settings{5, Millis(3'600'000), Millis(3'600'000)};
    StopToken stop;
    stop.request_stop();
    int observed = 0;
    const auto result = call_with_retries<int>(
        std::ref(script), settings, stop, [] { return 1.0; },
        [&](const Failure&, int, Millis pause) {
          ++observed;
          EXPECT_EQ(pause, Millis(3'600'000));
        });
    EXPECT_EQ(result.attempts, 1);
    EXPECT_EQ(script.calls, 1);
    EXPECT_EQ(observed, 1);
    if (result.result.ok()) {
      ADD_FAILURE() << "succeeded";
      continue;
    }
    const Failure& f = result.result.failure();
    EXPECT_EQ(f.kind, FailureKind::aborted);
    EXPECT_EQ(f.http_status, row.failure.http_status);
    EXPECT_EQ(f.code, row.failure.code);
    EXPECT_EQ(f.message, row.message);
    EXPECT_FALSE(is_retryable(f));
  }
}

}  // namespace
}  // namespace nw
