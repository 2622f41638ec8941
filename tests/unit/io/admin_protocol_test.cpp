// The admin socket's messages both ways, and what a malformed request is told.
#include "nw/io/admin_protocol.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

using namespace std::chrono_literals;

std::string error_of(const std::string& line) {
  std::string error;
  EXPECT_FALSE(parse_admin_request(line, error)) << line;
  return error;
}

TEST(AdminProtocol, EveryRequestReadsBackAsWritten) {
  AdminRequest cancel;
  cancel.op = AdminOp::cancel;
  cancel.endpoint = "writer";
  cancel.language = Language::gremlin;
  cancel.query_id = "q\"1";
  cancel.silent = true;
  AdminRequest pause;
  pause.op = AdminOp::pause;
  pause.length = Millis(30min);
  pause.reason = "deploy";
  AdminRequest protect;
  protect.op = AdminOp::protect;
  protect.matches = "nightly-(export|backup)";
  protect.length = Millis(1h);
  for (const AdminRequest& r : {cancel, pause, protect}) {
    std::string error;
    const auto back = parse_admin_request(admin_request_json(r), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->op, r.op);
    EXPECT_EQ(back->endpoint, r.endpoint);
    EXPECT_EQ(back->language, r.language);
    EXPECT_EQ(back->query_id, r.query_id);
    EXPECT_EQ(back->silent, r.silent);
    EXPECT_EQ(back->matches, r.matches);
    EXPECT_EQ(back->length, r.length);
    EXPECT_EQ(back->reason, r.reason);
  }
}

TEST(AdminProtocol, MalformedRequestsAreToldWhatIsWrong) {
  EXPECT_NE(error_of("garbage").find("not a JSON object"), std::string::npos);
  EXPECT_NE(error_of("[1,2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(error_of(R"({"op":"shutdown"})").find("unknown op 'shutdown'"), std::string::npos);
  EXPECT_NE(error_of(R"({"op":"cancel","endpoint":"w"})").find("needs 'endpoint' and 'query_id'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"op":"pause"})").find("pause needs 'for'"), std::string::npos);
  EXPECT_NE(error_of(R"({"op":"pause","for":"soon"})").find("not a duration"), std::string::npos);
  EXPECT_NE(error_of(R"({"op":"status","silent":"yes"})").find("wrong type"), std::string::npos);
  EXPECT_NE(error_of(R"({"op":"cancel","endpoint":"w","query_id":"q","language":"sql"})")
                .find("unknown language"),
            std::string::npos);
}

TEST(AdminProtocol, TheLiveViewReadsBackWhole) {
  LiveFleet fleet;
  fleet.at = std::chrono::system_clock::from_time_t(1795608000);
  fleet.config_version = "v7";
  fleet.pause = "cancelling paused by alice";
  fleet.temporary_protections = 2;
  LiveInstance in;
  in.endpoint = "prod/instance-1";
  in.language = Language::sparql;
  in.role = "reader";
  in.polled_at = fleet.at - 1s;
  in.last_error = "";
  in.failed_polls = 3;
  LiveQuery q;
  q.id = "q-1";
  q.queued = true;
  q.waited_ms = 1500;
  q.text = "SELECT * WHERE { ?s ?p \"\xe2\x9c\x93\" }";
  q.fingerprint = "0123456789abcdef";
  q.verdict = Verdict::within_limits;
  q.rule = "r";
  q.limit_ms = 10000;
  q.action_in_ms = 8500;
  q.reason = "within the limits of [rule.r]";
  in.queries.push_back(q);
  fleet.instances.push_back(in);
  std::string error;
  const auto answer = parse_admin_answer(admin_status(fleet), error);
  ASSERT_TRUE(answer) << error;
  ASSERT_TRUE(answer->ok);
  ASSERT_TRUE(answer->fleet);
  EXPECT_EQ(format_live_text(*answer->fleet), format_live_text(fleet));
  const LiveQuery& back = answer->fleet->instances.at(0).queries.at(0);
  EXPECT_EQ(back.text, q.text);
  EXPECT_EQ(back.fingerprint, q.fingerprint);
  EXPECT_EQ(back.verdict, q.verdict);
  EXPECT_EQ(back.action_in_ms, q.action_in_ms);
  EXPECT_EQ(answer->fleet->instances[0].failed_polls, 3u);

  const auto refused = parse_admin_answer(admin_error("not authorised: bob"), error);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok);
  EXPECT_EQ(refused->message, "not authorised: bob");
  EXPECT_FALSE(parse_admin_answer("{\"nothing\":1}", error));
}

}  // namespace
}  // namespace nw
