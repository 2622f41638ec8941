#include "nw/core/duration.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace nw {
namespace {

TEST(ParseDuration, AcceptsEverySuffix) {
  struct Row {
    const char* name;
    const char* text;
    long long millis;
  } rows[] = {
      {"ms", "250ms", 250},
      {"zero ms", "0ms", 0},
      {"seconds", "5s", 5'000},
      {"zero seconds", "0s", 0},
      {"minutes", "2m", 120'000},
      {"hours", "1h", 3'600'000},
      {"leading zeros", "007s", 7'000},
      {"many seconds", "300s", 300'000},
      {"ten years in hours", "87600h", 315'360'000'000},
      {"ten years in minutes", "5256000m", 315'360'000'000},
      {"ten years in seconds", "315360000s", 315'360'000'000},
      {"ten years in ms", "315360000000ms", 315'360'000'000},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto d = parse_duration(row.text);
    ASSERT_TRUE(d.has_value()) << row.text;
    EXPECT_EQ(d->count(), row.millis);
  }
}

TEST(ParseDuration, RejectsEverythingElse) {
  struct Row {
    const char* name;
    const char* text;
  } rows[] = {
      {"empty", ""},
      {"bare number", "5"},
      {"bare zero", "0"},
      {"suffix only", "ms"},
      {"plus sign", "+5s"},
      {"minus sign", "-5s"},
      {"fraction", "1.5s"},
      {"leading dot", ".5s"},
      {"unknown suffix", "5x"},
      {"long suffix", "5sec"},
      {"minutes spelled", "5min"},
      {"days", "1d"},
      {"microseconds", "5us"},
      {"upper case", "5S"},
      {"upper case ms", "5MS"},
      {"space before suffix", "5 s"},
      {"leading space", " 5s"},
      {"trailing space", "5s "},
      {"two units", "1h30m"},
      {"exponent", "1e3ms"},
      {"hex", "0x10s"},
      {"ten years plus one hour", "87601h"},
      {"ten years plus one minute", "5256001m"},
      {"ten years plus one second", "315360001s"},
      {"ten years plus one ms", "315360000001ms"},
      {"int64 overflow", "9223372036854775808ms"},
      {"huge", "99999999999999999999999s"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(parse_duration(row.text), std::nullopt) << "'" << row.text << "'";
  }
}

TEST(FormatDuration, ShortestExactForm) {
  struct Row {
    const char* name;
    long long millis;
    const char* text;
  } rows[] = {
      {"zero", 0, "0ms"},
      {"one ms", 1, "1ms"},
      {"not whole seconds", 1'500, "1500ms"},
      {"one second", 1'000, "1s"},
      {"not whole minutes", 61'000, "61s"},
      {"five minutes", 300'000, "5m"},
      {"not whole hours", 5'400'000, "90m"},
      {"one hour", 3'600'000, "1h"},
      {"a day", 86'400'000, "24h"},
      {"ten years", 315'360'000'000, "87600h"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(format_duration(Millis(row.millis)), row.text);
  }
}

TEST(FormatDuration, RoundTripsThroughParse) {
  const char* texts[] = {"0ms", "1ms", "999ms", "1500ms", "1s",  "59s",    "61s",
                         "1m",  "59m", "90m",   "1h",     "25h", "87600h", "3600001ms"};
  for (const char* text : texts) {
    SCOPED_TRACE(text);
    const auto d = parse_duration(text);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(format_duration(*d), text);
    EXPECT_EQ(parse_duration(format_duration(*d)), d);
  }
  const struct {
    const char* name;
    const char* text;
    const char* canonical;
  } rows[] = {{"seconds to minutes", "300s", "5m"},
              {"ms to seconds", "2000ms", "2s"},
              {"minutes to hours", "120m", "2h"},
              {"leading zeros", "007s", "7s"}};
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto d = parse_duration(row.text);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(format_duration(*d), row.canonical);
    EXPECT_EQ(parse_duration(row.canonical), d);
  }
}

}  // namespace
}  // namespace nw
