#include "nw/core/rfc3339.h"

#include <optional>

#include <gtest/gtest.h>

#include "nw/core/url_encode.h"

namespace nw {
namespace {

std::optional<long long> seconds_of(std::string_view text) {
  const auto t = parse_rfc3339(text);
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

// The forms AWS services answer with (STS: "2024-05-01T12:00:00Z", the container endpoint and
// IMDS: the same, some SDK fixtures with fractions or offsets) and the config's `until`.
TEST(Rfc3339, ParsesTheFormsServicesAndOperatorsWrite) {
  EXPECT_EQ(seconds_of("2024-05-01T12:00:00Z"), 1714564800);
  EXPECT_EQ(seconds_of("2024-05-01t12:00:00z"), 1714564800);
  EXPECT_EQ(seconds_of("2024-05-01T12:00:00.987654Z"), 1714564800);
  EXPECT_EQ(seconds_of("2024-05-01T14:00:00+02:00"), 1714564800);
  EXPECT_EQ(seconds_of("2024-05-01T07:30:00-04:30"), 1714564800);
  EXPECT_EQ(seconds_of("2024-02-29T00:00:00Z"), 1709164800);  // leap day
  EXPECT_EQ(seconds_of("2200-12-31T23:59:59Z"), 7289654399);
}

TEST(Rfc3339, RefusesWhatIsNotOneTime) {
  for (const char* text :
       {"", "2024-05-01", "2024-05-01T12:00:00", "2024-05-01T12:00Z", "2024-05-01T12:00:00.Z",
        "2024-05-01T12:00:00+2:00", "2024-05-01T12:00:00+02:00x", "2024-13-01T00:00:00Z",
        "2024-05-01T24:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z",
        "2024-05-01T12:00:00 UTC", "2024-05-01 12:00:00Z", "2024-05-01T12:00:00+24:00"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_rfc3339(text), std::nullopt);
  }
}

TEST(Rfc3339, FormatsWholeSecondsAndMillisecondsInUtc) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1714564800123));
  EXPECT_EQ(format_rfc3339(t), "2024-05-01T12:00:00Z");
  EXPECT_EQ(format_rfc3339_ms(t), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(parse_rfc3339(format_rfc3339(t)),
            std::chrono::system_clock::time_point(std::chrono::seconds(1714564800)));
}

// SigV4's UriEncode: everything but A-Z a-z 0-9 - . _ ~, upper-case hex, byte by byte.
TEST(UrlEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("a b/c?d=e&f+g%h"), "a%20b%2Fc%3Fd%3De%26f%2Bg%25h");
  EXPECT_EQ(url_encode("\xC3\xA9\x01\x7F"), "%C3%A9%01%7F");
  EXPECT_EQ(url_encode("arn:aws:iam::123:role/x"), "arn%3Aaws%3Aiam%3A%3A123%3Arole%2Fx");
  EXPECT_EQ(url_encode(""), "");
}

}  // namespace
}  // namespace nw
