#pragma once
// Runs one Neptune call with the [retry] policy: retryable failures are tried again after a
// jittered, capped exponential pause, up to max_attempts tries in all; the pause ends early
// when stop is requested.
#include <functional>

#include "nw/app/stop_token.h"
#include "nw/core/backoff.h"
#include "nw/core/failure.h"
#include "nw/core/neptune_error.h"

namespace nw {

template <class T>
struct Attempted {
  Result<T> result;
  int attempts = 0;  // HTTP tries actually made (a call that found no credentials sent nothing)
};

// Called before each pause: the failure, the number of tries so far and the pause chosen.
using RetryObserver = std::function<void(const Failure&, int attempts, Millis pause)>;

// `retryable` says which failures are tried again; empty: Neptune's (is_retryable).
template <class T, class Call>
Attempted<T> call_with_retries(Call&& call, const RetrySettings& settings, StopToken& stop,
                               const std::function<double()>& unit_random,
                               const RetryObserver& on_retry = {},
                               const std::function<bool(const Failure&)>& retryable = {}) {
  int attempts = 0;
  for (;;) {
    Result<T> result = call();
    if (result.ok() || result.failure().kind != FailureKind::credentials) ++attempts;
    if (result.ok() ||
        !(retryable ? retryable(result.failure()) : is_retryable(result.failure())) ||
        attempts >= settings.max_attempts)
      return {std::move(result), attempts};
    const Millis pause = backoff_delay(settings, attempts, unit_random());
    if (on_retry) on_retry(result.failure(), attempts, pause);
    if (!stop.sleep_for(pause)) {
      Failure aborted = result.failure();
      aborted.kind = FailureKind::aborted;
      aborted.message = "shutdown during retry back-off after: " + result.failure().describe();
      return {Result<T>(std::move(aborted)), attempts};
    }
  }
}

}  // namespace nw
