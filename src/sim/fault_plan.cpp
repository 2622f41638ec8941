#include "nw/sim/fault_plan.h"

#include <charconv>
#include <cstdlib>
#include <iterator>

#include "nw/sim/duration_text.h"

namespace nw::sim {
namespace {

constexpr std::uint64_t kFaultStream = 3;

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = text.find(sep, begin);
    parts.push_back(
        text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

std::optional<double> parse_share(std::string_view text) {
  // strtod wants a terminated string; also reject "nan", "inf", hex and trailing junk.
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos)
    return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || value < 0.0 || value > 1.0) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

// "FROM..TO" or "FROM..": two durations since the simulator started.
Parsed<FaultWindow> parse_window(std::string_view text) {
  using Result = Parsed<FaultWindow>;
  const std::size_t dots = text.find("..");
  if (dots == std::string_view::npos)
    return Result::fail("during wants FROM..TO or FROM.. (e.g. during=60s..90s)");
  const auto from = parse_duration_ms(text.substr(0, dots));
  if (!from) return Result::fail("during: FROM must be a duration such as 0s, 500ms or 60s");
  FaultWindow window;
  window.from_ms = *from;
  const std::string_view to_text = text.substr(dots + 2);
  if (!to_text.empty()) {
    const auto to = parse_duration_ms(to_text);
    if (!to) return Result::fail("during: TO must be a duration such as 90s, or left out");
    if (*to <= *from) return Result::fail("during: TO must come after FROM");
    window.to_ms = *to;
  }
  return Result::ok(window);
}

struct KindName {
  FaultKind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {FaultKind::too_many_requests, "429"},
    {FaultKind::client_timeout, "408"},
    {FaultKind::throttling, "500"},
    {FaultKind::delay, "delay"},
    {FaultKind::slow_headers, "slow-headers"},
    {FaultKind::trickle, "trickle"},
    {FaultKind::reset, "reset"},
    {FaultKind::truncated, "truncated"},
    {FaultKind::not_json, "not-json"},
    {FaultKind::huge, "huge"},
    {FaultKind::huge_chunked, "huge-chunked"},
    {FaultKind::wrong_type, "wrong-type"},
    {FaultKind::drip_chunk, "drip-chunk"},
    {FaultKind::extra_response, "extra-response"},
    {FaultKind::duplicate_ids, "duplicate-ids"},
    {FaultKind::bad_numbers, "bad-numbers"},
    {FaultKind::malformed_entries, "malformed-entries"},
};
static_assert(std::size(kKindNames) == kFaultKinds);

std::optional<FaultKind> kind_by_name(std::string_view name) {
  for (const KindName& k : kKindNames) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

bool sees(FaultScope scope, RequestKind request) {
  switch (scope) {
    case FaultScope::all:
      return true;
    case FaultScope::status:
      return request == RequestKind::status;
    case FaultScope::cancel:
      return request == RequestKind::cancel;
  }
  return false;
}

}  // namespace

Parsed<FaultSpec> parse_fault_spec(std::string_view text) {
  using Result = Parsed<FaultSpec>;
  const std::string quoted = "fault '" + std::string(text) + "': ";
  const std::vector<std::string_view> parts = split(text, ',');

  FaultSpec spec;
  const std::string_view kind = parts.front();
  const std::size_t eq = kind.find('=');
  const std::string_view name = kind.substr(0, eq);
  const std::optional<std::string_view> argument =
      eq == std::string_view::npos ? std::nullopt : std::optional(kind.substr(eq + 1));
  const std::optional<FaultKind> parsed = kind_by_name(name);
  if (!parsed) {
    return Result::fail(
        quoted +
        "kind must be 429, 408, 500, delay=D, slow-headers=D, trickle=D, reset, "
        "truncated, not-json, huge=SIZE, huge-chunked=SIZE, wrong-type, "
        "drip-chunk=D, extra-response, duplicate-ids, bad-numbers or malformed-entries");
  }
  spec.kind = *parsed;
  const bool timed = spec.kind == FaultKind::delay || spec.kind == FaultKind::slow_headers ||
                     spec.kind == FaultKind::trickle || spec.kind == FaultKind::drip_chunk;
  if (timed) {
    const auto ms = argument ? parse_duration_ms(*argument) : std::nullopt;
    if (!ms || *ms == 0) {
      return Result::fail(quoted + std::string(name) +
                          " wants a positive duration such as 250ms or 2s");
    }
    spec.delay_ms = *ms;
  } else if (spec.kind == FaultKind::huge || spec.kind == FaultKind::huge_chunked) {
    const auto bytes = argument ? parse_size_bytes(*argument) : std::nullopt;
    if (!bytes) {
      return Result::fail(quoted + std::string(name) +
                          " wants a size from 1KB to 100GiB, such as 100MB or 64MiB");
    }
    spec.size_bytes = *bytes;
  } else if (argument) {
    return Result::fail(quoted + std::string(name) + " takes no value");
  }

  bool seen_on = false;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const std::size_t eq = part.find('=');
    const std::string_view key = part.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    if (eq == std::string_view::npos)
      return Result::fail(quoted + "expected key=value, got '" + std::string(part) + "'");
    if (key == "share") {
      if (spec.share) return Result::fail(quoted + "share given twice");
      spec.share = parse_share(value);
      if (!spec.share) return Result::fail(quoted + "share must be a number from 0 to 1");
    } else if (key == "count") {
      if (spec.count) return Result::fail(quoted + "count given twice");
      spec.count = parse_count(value);
      if (!spec.count) return Result::fail(quoted + "count must be a whole number >= 1");
    } else if (key == "on") {
      if (seen_on) return Result::fail(quoted + "on given twice");
      seen_on = true;
      if (value == "status")
        spec.on = FaultScope::status;
      else if (value == "cancel")
        spec.on = FaultScope::cancel;
      else if (value == "all")
        spec.on = FaultScope::all;
      else
        return Result::fail(quoted + "on must be status, cancel or all");
    } else if (key == "during") {
      if (spec.during) return Result::fail(quoted + "during given twice");
      const Parsed<FaultWindow> window = parse_window(value);
      if (!window) return Result::fail(quoted + window.error);
      spec.during = *window.value;
    } else {
      return Result::fail(quoted + "unknown key '" + std::string(key) +
                          "' (share, count, on, during)");
    }
  }
  return Result::ok(spec);
}

std::string_view fault_name(FaultKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

FaultClass fault_class(FaultKind kind) {
  switch (kind) {
    case FaultKind::too_many_requests:
    case FaultKind::client_timeout:
    case FaultKind::throttling:
      return FaultClass::error;
    case FaultKind::delay:
    case FaultKind::slow_headers:
    case FaultKind::trickle:
      return FaultClass::slow;
    case FaultKind::reset:
    case FaultKind::truncated:
    case FaultKind::not_json:
    case FaultKind::huge:
    case FaultKind::huge_chunked:
    case FaultKind::wrong_type:
    case FaultKind::drip_chunk:
    case FaultKind::extra_response:
      return FaultClass::broken;
    case FaultKind::duplicate_ids:
    case FaultKind::bad_numbers:
    case FaultKind::malformed_entries:
      break;
  }
  return FaultClass::strange_list;
}

std::optional<std::int64_t> parse_size_bytes(std::string_view text) {
  constexpr std::int64_t kMaxBytes = 100LL << 30;
  const auto bytes = parse_scaled(text,
                                  {{"", 1},
                                   {"B", 1},
                                   {"KB", 1'000},
                                   {"MB", 1'000'000},
                                   {"GB", 1'000'000'000},
                                   {"KiB", 1LL << 10},
                                   {"MiB", 1LL << 20},
                                   {"GiB", 1LL << 30}},
                                  kMaxBytes);
  if (!bytes || *bytes < kMinHugeBytes) return std::nullopt;
  return bytes;
}

FaultError fault_error(FaultKind kind) {
  switch (kind) {
    case FaultKind::too_many_requests:
      return {429, "TooManyRequestsException", "Too many requests (injected by neptune-sim)"};
    case FaultKind::client_timeout:
      return {408, "ClientTimeoutException", "Client timeout (injected by neptune-sim)"};
    case FaultKind::throttling:
      return {500, "ThrottlingException",
              "Rate of requests exceeds the maximum throughput (injected by neptune-sim)"};
    default:
      break;
  }
  return {500, "InternalFailureException", "not an error fault"};
}

FaultPlan::FaultPlan(std::vector<FaultSpec> specs, std::uint64_t seed)
    : random_(seed, kFaultStream) {
  specs_.reserve(specs.size());
  for (FaultSpec& spec : specs) specs_.push_back(ArmedSpec{spec, 0});
}

FaultDecision FaultPlan::decide(RequestKind request, std::int64_t since_start_ms) {
  FaultDecision decision;
  for (ArmedSpec& armed : specs_) {
    const FaultSpec& spec = armed.spec;
    if (!sees(spec.on, request)) continue;
    if (spec.during && !spec.during->contains(since_start_ms)) continue;
    // A cancel's reply has no query list to make strange: those specs never see it.
    if (fault_class(spec.kind) == FaultClass::strange_list && request != RequestKind::status)
      continue;
    if (spec.count && armed.applied >= *spec.count) continue;
    // The die is rolled only for specs with a share, so adding a count-only spec does
    // not shift the shares of the others.
    if (spec.share && !(random_.uniform() < *spec.share)) continue;
    ++armed.applied;
    decision.fired.push_back(spec.kind);
    switch (spec.kind) {
      case FaultKind::delay:
        decision.delay_ms += spec.delay_ms;
        break;
      case FaultKind::slow_headers:
        decision.slow_headers_ms += spec.delay_ms;
        break;
      case FaultKind::trickle:
        decision.trickle_ms += spec.delay_ms;
        break;
      case FaultKind::duplicate_ids:
        decision.duplicate_ids = true;
        break;
      case FaultKind::bad_numbers:
        decision.bad_numbers = true;
        break;
      case FaultKind::malformed_entries:
        decision.malformed_entries = true;
        break;
      default:
        break;
    }
    const FaultClass kind_class = fault_class(spec.kind);
    if (kind_class == FaultClass::error) {
      decision.error = spec.kind;
      break;
    }
    if (kind_class == FaultClass::broken) {
      decision.broken = spec.kind;
      if (spec.kind == FaultKind::huge || spec.kind == FaultKind::huge_chunked)
        decision.huge_bytes = spec.size_bytes;
      if (spec.kind == FaultKind::drip_chunk) decision.drip_ms = spec.delay_ms;
      break;
    }
  }
  return decision;
}

}  // namespace nw::sim
