#include "nw/sim/wire_fault.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "nw/sim/fault_plan.h"

namespace nw::sim {
namespace {

std::string whole(HugeListBody& body, std::size_t piece = 64 * 1024) {
  std::string all;
  std::string chunk;
  while (body.next(chunk, piece)) {
    EXPECT_FALSE(chunk.empty());
    all += chunk;
  }
  return all;
}

TEST(HugeListBody, IsExactlyTheAskedSizeAndValidJson) {
  for (const std::int64_t size : {kMinHugeBytes, std::int64_t{1025}, std::int64_t{5000},
                                  std::int64_t{100'000}, std::int64_t{1'048'576}}) {
    SCOPED_TRACE(size);
    HugeListBody body(size);
    const std::string text = whole(body);
    ASSERT_EQ(static_cast<std::int64_t>(text.size()), size);
    const auto root = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    const auto queries = root->getArray("queries");
    EXPECT_EQ(static_cast<std::int64_t>(queries->size()), body.filler_queries());
    EXPECT_EQ(root->getValue<std::int64_t>("acceptedQueryCount"), body.filler_queries());
    if (queries->size() > 0) {
      const auto first = queries->getObject(0);
      EXPECT_EQ(first->getValue<std::string>("queryId"), "filler-000000000001");
      EXPECT_EQ(first->getObject("queryEvalStats")->getValue<int>("elapsed"), 0);
    }
  }
  HugeListBody big(1'048'576);
  EXPECT_GT(big.filler_queries(), 1000) << "mostly filler queries, little padding";
}

TEST(HugeListBody, ComesInPiecesOfAboutTheAskedSize) {
  HugeListBody body(10'000'000);
  std::string chunk;
  std::int64_t total = 0;
  std::size_t largest = 0;
  int pieces = 0;
  while (body.next(chunk, 64 * 1024)) {
    total += static_cast<std::int64_t>(chunk.size());
    largest = std::max(largest, chunk.size());
    ++pieces;
  }
  EXPECT_EQ(total, 10'000'000);
  EXPECT_GT(pieces, 100);
  EXPECT_LT(largest, 64u * 1024 + 2048) << "a piece overshoots by one filler query at most";
  EXPECT_FALSE(body.next(chunk)) << "stays done";
}

TEST(TricklePlan, SpreadsTheBodyOverTheDurationAFewBytesAtATime) {
  const TricklePlan small = plan_trickle(400, 10'000);
  EXPECT_EQ(small.pieces, 100u);
  EXPECT_EQ(small.piece_bytes, 4u);
  EXPECT_EQ(small.gap_ms, 100);

  const TricklePlan large = plan_trickle(100'000, 20'000);
  EXPECT_EQ(large.pieces, 200u) << "a bounded number of pieces";
  EXPECT_EQ(large.piece_bytes, 500u);
  EXPECT_EQ(large.gap_ms, 100);

  for (const std::size_t size : {1u, 3u, 7u, 401u, 12'345u}) {
    SCOPED_TRACE(size);
    const TricklePlan plan = plan_trickle(size, 1000);
    EXPECT_GE(plan.pieces * plan.piece_bytes, size) << "covers the body";
    EXPECT_LT((plan.pieces - 1) * plan.piece_bytes, size) << "no empty piece";
  }
  EXPECT_EQ(plan_trickle(0, 1000).pieces, 0u);
}

TEST(DripPlan, PadsTheChunkSizeLineToOneByteAGapOverTheDuration) {
  const DripPlan plan = plan_drip(0x4d2, 5000);
  ASSERT_GT(plan.gap_ms, 0);
  EXPECT_EQ(plan.line.rfind("4d2;", 0), 0u) << plan.line;
  EXPECT_EQ(plan.line.substr(plan.line.size() - 2), "\r\n");
  EXPECT_EQ(plan.line.find('\r'), plan.line.size() - 2) << "one line";
  EXPECT_EQ(static_cast<std::int64_t>(plan.line.size()), 5000 / plan.gap_ms);

  // A duration too short for the bare line still gets a whole, valid line.
  const DripPlan shortest = plan_drip(0, 1);
  EXPECT_EQ(shortest.line.rfind("0;drip=x", 0), 0u) << shortest.line;
  EXPECT_EQ(shortest.line.substr(shortest.line.size() - 2), "\r\n");
}

TEST(ExtraResponse, IsACompleteCancelSuccess) {
  const std::string bytes = extra_response_bytes();
  EXPECT_EQ(bytes.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << bytes;
  const std::size_t end = bytes.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  const std::string body = bytes.substr(end + 4);
  EXPECT_NE(bytes.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos)
      << bytes;
  const auto json = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(json->getValue<std::string>("status"), "200 OK");
  EXPECT_TRUE(json->getValue<bool>("payload"));
}

TEST(BrokenAnswers, SendPartOfTheBodyNeverAllOfIt) {
  EXPECT_EQ(truncated_length(400), 200u);
  EXPECT_EQ(truncated_length(1), 0u);
  EXPECT_EQ(reset_prefix_length(300), 100u);
  EXPECT_EQ(reset_prefix_length(2), 1u);
  EXPECT_EQ(reset_prefix_length(1), 0u);
  EXPECT_EQ(reset_prefix_length(0), 0u);
}

TEST(BrokenAnswers, NotJsonIsAnHtmlPage) {
  const std::string page = not_json_body();
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THROW(Poco::JSON::Parser().parse(page), Poco::Exception);
}

}  // namespace
}  // namespace nw::sim
