#include "nw/core/connect_to.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

TEST(ConnectTo, ParsesPrintsAndMaps) {
  std::string error;
  const auto rules = parse_connect_to(
      "db-1.example:8182=127.0.0.1:18182, *.sim.internal=127.0.0.1 ,[::1]:8182=[::1]:9000", error);
  ASSERT_TRUE(rules) << error;
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].to_string(), "db-1.example:8182=127.0.0.1:18182");
  EXPECT_EQ((*rules)[1].to_string(), "*.sim.internal=127.0.0.1");
  EXPECT_EQ((*rules)[2].to_string(), "[::1]:8182=[::1]:9000");
  using Target = std::optional<std::pair<std::string, std::uint16_t>>;
  EXPECT_EQ(connect_to_target(*rules, "db-1.example", 8182), Target({"127.0.0.1", 18182}));
  EXPECT_EQ(connect_to_target(*rules, "db-1.example", 443), Target());  // another port
  // A glob host, any port, the port kept.
  EXPECT_EQ(connect_to_target(*rules, "prod-2.sim.internal", 9123), Target({"127.0.0.1", 9123}));
  EXPECT_EQ(connect_to_target(*rules, "sim.internal", 9123), Target());
  EXPECT_EQ(connect_to_target(*rules, "::1", 8182), Target({"::1", 9000}));
}

TEST(ConnectTo, RefusesWhatCannotBeDialled) {
  for (const char* text :
       {"", "db-1.example", "=127.0.0.1", "db=", "db:0=127.0.0.1", "db:70000=127.0.0.1",
        "db=127.0.0.1:x", "db=*.example", "db=127.0.0.1,", "d b=127.0.0.1", "[::1=x"}) {
    SCOPED_TRACE(text);
    std::string error;
    EXPECT_FALSE(parse_connect_to(text, error));
    EXPECT_FALSE(error.empty());
  }
}

}  // namespace
}  // namespace nw
