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

TEST(FaultPlan, ErrorsCarryNeptunesStatusAndCode) {
  EXPECT_EQ(fault_error(FaultKind::too_many_requests).http_status, 429);
  EXPECT_EQ(fault_error(FaultKind::too_many_requests).code, "TooManyRequestsException");
  EXPECT_EQ(fault_error(FaultKind::client_timeout).http_status, 408);
  EXPECT_EQ(fault_error(FaultKind::client_timeout).code, "ClientTimeoutException");
  EXPECT_EQ(fault_error(FaultKind::throttling).http_status, 500);
  EXPECT_EQ(fault_error(FaultKind::throttling).code, "ThrottlingException");
  EXPECT_EQ(fault_name(FaultKind::delay), "delay");
}

}  // namespace
}  // namespace nw::sim
