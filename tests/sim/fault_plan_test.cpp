#include "nw/sim/fault_plan.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace nw::sim {
namespace {

FaultPlan plan(std::initializer_list<const char*> specs, std::uint64_t seed = 1) {
  std::vector<FaultSpec> parsed;
  for (const char* text : specs) {
    const Parsed<FaultSpec> spec = parse_fault_spec(text);
    EXPECT_TRUE(spec) << text << ": " << spec.error;
    if (spec) parsed.push_back(*spec.value);
  }
  return FaultPlan(parsed, seed);
}

// One letter per request: '-' none, 'T' 429, 'C' 408, 'S' 500; delays are not shown.
// Request i arrives at i * step_ms after the start.
std::string run(FaultPlan& faults, const std::string& requests, std::int64_t step_ms = 0) {
  std::string out;
  std::int64_t at_ms = 0;
  for (const char r : requests) {
    const FaultDecision d =
        faults.decide(r == 's' ? RequestKind::status : RequestKind::cancel, at_ms);
    at_ms += step_ms;
    if (!d.error)
      out.push_back('-');
    else if (*d.error == FaultKind::too_many_requests)
      out.push_back('T');
    else if (*d.error == FaultKind::client_timeout)
      out.push_back('C');
    else
      out.push_back('S');
  }
  return out;
}

TEST(FaultSpecParse, AcceptsEveryDocumentedForm) {
  struct Row {
    const char* text;
    FaultKind kind;
    std::int64_t delay_ms;
    std::optional<double> share;
    std::optional<std::int64_t> count;
    FaultScope on;
  };
  const Row rows[] = {
      {"429", FaultKind::too_many_requests, 0, std::nullopt, std::nullopt, FaultScope::all},
      {"408,on=status", FaultKind::client_timeout, 0, std::nullopt, std::nullopt,
       FaultScope::status},
      {"500,count=3,on=cancel", FaultKind::throttling, 0, std::nullopt, 3, FaultScope::cancel},
      {"delay=250ms,share=0.5", FaultKind::delay, 250, 0.5, std::nullopt, FaultScope::all},
      {"delay=2s,on=all,share=1,count=7", FaultKind::delay, 2000, 1.0, 7, FaultScope::all},
      {"429,share=0", FaultKind::too_many_requests, 0, 0.0, std::nullopt, FaultScope::all},
      {"500,during=60s..90s", FaultKind::throttling, 0, std::nullopt, std::nullopt,
       FaultScope::all},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.text);
    const Parsed<FaultSpec> spec = parse_fault_spec(row.text);
    ASSERT_TRUE(spec) << spec.error;
    EXPECT_EQ(spec.value->kind, row.kind);
    EXPECT_EQ(spec.value->delay_ms, row.delay_ms);
    EXPECT_EQ(spec.value->share, row.share);
    EXPECT_EQ(spec.value->count, row.count);
    EXPECT_EQ(spec.value->on, row.on);
  }
}

TEST(FaultSpecParse, RejectsMistakesWithAMessage) {
  const char* rows[] = {
      "",
      "404",
      "delay",
      "delay=",
      "delay=5",
      "delay=0s",
      "429,",
      "429,share",
      "429,share=1.5",
      "429,share=-0.1",
      "429,share=abc",
      "429,share=nan",
      "429,count=0",
      "429,count=x",
      "429,count=-1",
      "429,on=foo",
      "429,bogus=1",
      "429,count=1,count=2",
      "429,share=0.1,share=0.2",
      "429,on=status,on=cancel",
      "TooManyRequests",
      "429,during=",
      "429,during=60s",
      "429,during=..90s",
      "429,during=60..90",
      "429,during=90s..60s",
      "429,during=60s..60s",
      "429,during=1s..2s,during=3s..4s",
      "429,during=-1s..2s",
  };
  for (const char* text : rows) {
    SCOPED_TRACE(text);
    const Parsed<FaultSpec> spec = parse_fault_spec(text);
    EXPECT_FALSE(spec);
    EXPECT_NE(spec.error.find("fault '"), std::string::npos) << spec.error;
  }
}

TEST(FaultSpecParse, DuringTakesAWindowSinceTheStart) {
  const Parsed<FaultSpec> closed = parse_fault_spec("429,during=60s..90s");
  ASSERT_TRUE(closed) << closed.error;
  ASSERT_TRUE(closed.value->during);
  EXPECT_EQ(closed.value->during->from_ms, 60'000);
  EXPECT_EQ(closed.value->during->to_ms, 90'000);

  const Parsed<FaultSpec> open = parse_fault_spec("delay=1s,during=1500ms..,on=status");
  ASSERT_TRUE(open) << open.error;
  ASSERT_TRUE(open.value->during);
  EXPECT_EQ(open.value->during->from_ms, 1'500);
  EXPECT_FALSE(open.value->during->to_ms);
  EXPECT_EQ(open.value->on, FaultScope::status);

  const Parsed<FaultSpec> none = parse_fault_spec("429");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.value->during);
}

TEST(FaultPlan, NoSpecsNoFaults) {
  FaultPlan faults;
  EXPECT_EQ(run(faults, "sscc"), "----");
}

TEST(FaultPlan, WithoutShareOrCountEveryMatchingRequestFails) {
  FaultPlan faults = plan({"429"});
  EXPECT_EQ(run(faults, "sscs"), "TTTT");
}

TEST(FaultPlan, CountAppliesToTheFirstMatchingRequests) {
  FaultPlan faults = plan({"408,count=2"});
  EXPECT_EQ(run(faults, "sssss"), "CC---");
}

TEST(FaultPlan, OnSelectsStatusOrCancelRequests) {
  FaultPlan status_only = plan({"429,on=status"});
  EXPECT_EQ(run(status_only, "scsc"), "T-T-");
  FaultPlan cancel_only = plan({"500,on=cancel,count=1"});
  EXPECT_EQ(run(cancel_only, "sscsc"), "--S--") << "status requests do not use up the count";
}

TEST(FaultPlan, ShareAppliesToRoughlyThatFraction) {
  FaultPlan faults = plan({"429,share=0.3"});
  int failed = 0;
  for (int i = 0; i < 2000; ++i) failed += faults.decide(RequestKind::status, 0).error ? 1 : 0;
  EXPECT_GT(failed, 450);
  EXPECT_LT(failed, 750);

  FaultPlan never = plan({"429,share=0"});
  EXPECT_EQ(run(never, "ssssssssss"), "----------");
  FaultPlan always = plan({"429,share=1"});
  EXPECT_EQ(run(always, "ssssssssss"), "TTTTTTTTTT");
}

TEST(FaultPlan, ShareIsRepeatableForASeed) {
  const std::string requests(200, 's');
  FaultPlan a = plan({"429,share=0.5"}, 9);
  FaultPlan b = plan({"429,share=0.5"}, 9);
  FaultPlan c = plan({"429,share=0.5"}, 10);
  const std::string ra = run(a, requests);
  EXPECT_EQ(ra, run(b, requests));
  EXPECT_NE(ra, run(c, requests));
}

TEST(FaultPlan, ShareAndCountTogetherCapTheRandomShare) {
  FaultPlan faults = plan({"429,share=0.5,count=3"});
  const std::string out = run(faults, std::string(200, 's'));
  EXPECT_EQ(std::count(out.begin(), out.end(), 'T'), 3);
}

TEST(FaultPlan, SpecsAreTriedInOrderAndTheFirstErrorWins) {
  FaultPlan faults = plan({"429,count=2", "500,count=1"});
  EXPECT_EQ(run(faults, "sssss"), "TTS--");
}

TEST(FaultPlan, DelaysAddUpAndCombineWithErrors) {
  FaultPlan faults = plan({"delay=100ms,count=1", "delay=50ms", "408,count=1"});
  const FaultDecision first = faults.decide(RequestKind::status, 0);
  EXPECT_EQ(first.delay_ms, 150);
  EXPECT_EQ(first.error, FaultKind::client_timeout);
  const FaultDecision second = faults.decide(RequestKind::cancel, 0);
  EXPECT_EQ(second.delay_ms, 50);
  EXPECT_FALSE(second.error);
}

TEST(FaultPlan, DuringSelectsRequestsByTheirTimeFromIncludedToExcluded) {
  // One request per second from 0 s: the window 2s..5s takes the 3rd, 4th and 5th.
  FaultPlan closed = plan({"429,during=2s..5s"});
  EXPECT_EQ(run(closed, "ssssssss", 1000), "--TTT---");
  FaultPlan open = plan({"500,during=3s.."});
  EXPECT_EQ(run(open, "ssssss", 1000), "---SSS");
}

TEST(FaultPlan, DuringCombinesWithCountShareAndOn) {
  FaultPlan counted = plan({"408,during=2s..,count=2"});
  EXPECT_EQ(run(counted, "ssssss", 1000), "--CC--") << "requests before the window use up nothing";
  FaultPlan cancels = plan({"429,during=1s..4s,on=cancel"});
  EXPECT_EQ(run(cancels, "scscsc", 1000), "-T-T--");
  FaultPlan always = plan({"429,during=1s..3s,share=1"});
  EXPECT_EQ(run(always, "ssss", 1000), "-TT-");
  FaultPlan never = plan({"429,during=1s..3s,share=0"});
  EXPECT_EQ(run(never, "ssss", 1000), "----");
}

TEST(FaultPlan, StormsOfDifferentKindsFollowOneAnother) {
  // A 429 storm, then a 500 storm, then a 408 share, then calm: a soak script's plan.
  FaultPlan faults = plan({"429,during=0s..2s", "500,during=2s..4s", "408,during=4s..6s,share=1"});
  EXPECT_EQ(run(faults, "sssssssss", 1000), "TTSSCC---");
}

TEST(FaultSpecParse, AcceptsEveryWireAndListKind) {
  struct Row {
    const char* text;
    FaultKind kind;
    FaultClass kind_class;
    std::int64_t delay_ms;
    std::int64_t size_bytes;
  };
  const Row rows[] = {
      {"slow-headers=3s", FaultKind::slow_headers, FaultClass::slow, 3000, 0},
      {"trickle=500ms,on=status", FaultKind::trickle, FaultClass::slow, 500, 0},
      {"reset,during=10s..20s", FaultKind::reset, FaultClass::broken, 0, 0},
      {"truncated,count=2", FaultKind::truncated, FaultClass::broken, 0, 0},
      {"not-json", FaultKind::not_json, FaultClass::broken, 0, 0},
      {"huge=100MB", FaultKind::huge, FaultClass::broken, 0, 100'000'000},
      {"huge=64MiB,on=status", FaultKind::huge, FaultClass::broken, 0, 64LL << 20},
      {"huge=4096", FaultKind::huge, FaultClass::broken, 0, 4096},
      {"huge-chunked=100MB", FaultKind::huge_chunked, FaultClass::broken, 0, 100'000'000},
      {"huge-chunked=2KiB,on=status,count=3", FaultKind::huge_chunked, FaultClass::broken, 0, 2048},
      {"wrong-type,share=0.5", FaultKind::wrong_type, FaultClass::broken, 0, 0},
      {"drip-chunk=5s,on=status,count=6", FaultKind::drip_chunk, FaultClass::broken, 5000, 0},
      {"extra-response,on=status,count=1", FaultKind::extra_response, FaultClass::broken, 0, 0},
      {"duplicate-ids", FaultKind::duplicate_ids, FaultClass::strange_list, 0, 0},
      {"bad-numbers,during=0s..", FaultKind::bad_numbers, FaultClass::strange_list, 0, 0},
      {"malformed-entries,on=status", FaultKind::malformed_entries, FaultClass::strange_list, 0, 0},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.text);
    const Parsed<FaultSpec> spec = parse_fault_spec(row.text);
    ASSERT_TRUE(spec) << spec.error;
    EXPECT_EQ(spec.value->kind, row.kind);
    EXPECT_EQ(fault_class(row.kind), row.kind_class);
    EXPECT_EQ(spec.value->delay_ms, row.delay_ms);
    EXPECT_EQ(spec.value->size_bytes, row.size_bytes);
    // The name round-trips: /sim/stats and --help use the command line's words.
    const std::string text = row.text;
    EXPECT_EQ(text.rfind(std::string(fault_name(row.kind)), 0), 0u);
  }
}

TEST(FaultSpecParse, RejectsWireKindsWithoutTheirValue) {
  for (const char* text :
       {"slow-headers", "slow-headers=", "slow-headers=0s", "trickle=5", "reset=1", "not-json=x",
        "huge", "huge=", "huge=10", "huge=1TB", "huge=200GiB", "huge=-1MB", "huge=1.5MB",
        "huge-chunked", "huge-chunked=", "huge-chunked=10", "huge-chunked=1TB", "huge-chunked=x",
        "duplicate-ids=2", "bad-numbers=yes", "malformed-entries=3", "truncated=half",
        "wrong-type=text/html"}) {
    SCOPED_TRACE(text);
    const Parsed<FaultSpec> spec = parse_fault_spec(text);
    EXPECT_FALSE(spec);
    EXPECT_NE(spec.error.find("fault '"), std::string::npos) << spec.error;
  }
  for (const char* text :
       {"drip-chunk", "drip-chunk=", "drip-chunk=0s", "drip-chunk=5", "extra-response=1"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parse_fault_spec(text));
  }
}

TEST(FaultPlan, SlowAnswersAddUpAndGoWithAnything) {
  FaultPlan faults =
      plan({"slow-headers=1s", "trickle=2s", "delay=3s", "slow-headers=500ms", "truncated"});
  const FaultDecision d = faults.decide(RequestKind::status, 0);
  EXPECT_EQ(d.slow_headers_ms, 1500);
  EXPECT_EQ(d.trickle_ms, 2000);
  EXPECT_EQ(d.delay_ms, 3000);
  EXPECT_EQ(d.broken, FaultKind::truncated);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.fired.size(), 5u);
}

TEST(FaultPlan, TheFirstErrorOrBrokenAnswerDecides) {
  FaultPlan broken_first = plan({"reset,count=1", "429,count=1", "not-json"});
  const FaultDecision first = broken_first.decide(RequestKind::status, 0);
  EXPECT_EQ(first.broken, FaultKind::reset);
  EXPECT_FALSE(first.error) << "later specs do not see the request";
  const FaultDecision second = broken_first.decide(RequestKind::status, 0);
  EXPECT_EQ(second.error, FaultKind::too_many_requests);
  EXPECT_FALSE(second.broken);
  EXPECT_EQ(broken_first.decide(RequestKind::status, 0).broken, FaultKind::not_json);

  FaultPlan huge = plan({"huge=2MB"});
  const FaultDecision h = huge.decide(RequestKind::cancel, 0);
  EXPECT_EQ(h.broken, FaultKind::huge);
  EXPECT_EQ(h.huge_bytes, 2'000'000);

  FaultPlan chunked = plan({"huge-chunked=3MB,count=1", "huge=2MB"});
  const FaultDecision c = chunked.decide(RequestKind::status, 0);
  EXPECT_EQ(c.broken, FaultKind::huge_chunked);
  EXPECT_EQ(c.huge_bytes, 3'000'000);
  const FaultDecision after = chunked.decide(RequestKind::status, 0);
  EXPECT_EQ(after.broken, FaultKind::huge);
  EXPECT_EQ(after.huge_bytes, 2'000'000);

  FaultPlan dripped = plan({"drip-chunk=3s,count=1", "extra-response"});
  const FaultDecision d = dripped.decide(RequestKind::status, 0);
  EXPECT_EQ(d.broken, FaultKind::drip_chunk);
  EXPECT_EQ(d.drip_ms, 3000);
  const FaultDecision e = dripped.decide(RequestKind::status, 0);
  EXPECT_EQ(e.broken, FaultKind::extra_response);
  EXPECT_EQ(e.drip_ms, 0);
}

TEST(FaultPlan, StrangeListsOnlySeeStatusRequestsAndAddUp) {
  FaultPlan faults =
      plan({"duplicate-ids,count=1", "bad-numbers", "malformed-entries", "wrong-type"});
  const FaultDecision cancel = faults.decide(RequestKind::cancel, 0);
  EXPECT_FALSE(cancel.duplicate_ids);
  EXPECT_FALSE(cancel.bad_numbers);
  EXPECT_FALSE(cancel.malformed_entries);
  EXPECT_EQ(cancel.broken, FaultKind::wrong_type);
  const FaultDecision status = faults.decide(RequestKind::status, 0);
  EXPECT_TRUE(status.duplicate_ids) << "the cancel did not use up the count";
  EXPECT_TRUE(status.bad_numbers);
  EXPECT_TRUE(status.malformed_entries);
  EXPECT_EQ(status.broken, FaultKind::wrong_type);
  EXPECT_FALSE(faults.decide(RequestKind::status, 0).duplicate_ids);
}

TEST(FaultPlan, AnyKindTakesATimeWindow) {
  FaultPlan faults = plan({"reset,during=1s..2s", "huge=1MB,during=2s..3s"});
  EXPECT_FALSE(faults.decide(RequestKind::status, 500).broken);
  EXPECT_EQ(faults.decide(RequestKind::status, 1500).broken, FaultKind::reset);
  EXPECT_EQ(faults.decide(RequestKind::status, 2500).broken, FaultKind::huge);
  EXPECT_FALSE(faults.decide(RequestKind::status, 3000).broken);
}

TEST(FaultSize, TakesDecimalAndBinaryUnits) {
  EXPECT_EQ(parse_size_bytes("100MB"), 100'000'000);
  EXPECT_EQ(parse_size_bytes("1GiB"), 1LL << 30);
  EXPECT_EQ(parse_size_bytes("512KB"), 512'000);
  EXPECT_EQ(parse_size_bytes("2KiB"), 2048);
  EXPECT_EQ(parse_size_bytes("1024B"), 1024);
  EXPECT_EQ(parse_size_bytes("1023"), std::nullopt) << "too small for the JSON around the filler";
  EXPECT_EQ(parse_size_bytes("100GiB"), 100LL << 30);
  EXPECT_EQ(parse_size_bytes("101GiB"), std::nullopt);
  EXPECT_EQ(parse_size_bytes("5mb"), std::nullopt);
  EXPECT_EQ(parse_size_bytes("MB"), std::nullopt);
}

TEST(FaultPlan, ErrorsCarryNeptunesStatusAndCode) {
  EXPECT_EQ(fault_error(FaultKind::too_many_requests).http_status, 429);
  EXPECT_EQ(fault_error(FaultKind::too_many_requests).code, "TooManyRequestsException");
  EXPECT_EQ(fault_error(FaultKind::client_timeout).http_status, 408);
  EXPECT_EQ(fault_error(FaultKind::client_timeout).code, "ClientTimeoutException");
  EXPECT_EQ(fault_error(FaultKind::throttling).http_status, 500);
  EXPECT_EQ(fault_error(FaultKind::throttling).code, "ThrottlingException");
  EXPECT_EQ(fault_name(FaultKind::delay), "delay");
}

TEST(FaultSpecParse, EveryKindsNameParsesBackToIt) {
  for (std::size_t i = 0; i < kFaultKinds; ++i) {
    const auto kind = static_cast<FaultKind>(i);
    const std::string name(fault_name(kind));
    SCOPED_TRACE(name);
    ASSERT_NE(name, "?");
    const bool sized = kind == FaultKind::huge || kind == FaultKind::huge_chunked;
    const bool timed = kind == FaultKind::delay || kind == FaultKind::slow_headers ||
                       kind == FaultKind::trickle || kind == FaultKind::drip_chunk;
    const Parsed<FaultSpec> spec = parse_fault_spec(name + (sized ? "=1MB" : timed ? "=1s" : ""));
    ASSERT_TRUE(spec) << spec.error;
    EXPECT_EQ(spec.value->kind, kind);
  }
  const Parsed<FaultSpec> unknown = parse_fault_spec("huge-gzipped=1MB");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error.find("huge-chunked=SIZE"), std::string::npos) << unknown.error;
}

}  // namespace
}  // namespace nw::sim
