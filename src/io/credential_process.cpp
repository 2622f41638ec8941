// credential_process: run (nw/io/child_program.h), parse.
#include "nw/io/credential_process.h"

#include <cstring>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "nw/core/rfc3339.h"
#include "nw/io/child_program.h"

namespace nw {
namespace {

using std::chrono::steady_clock;

// Credentials JSON is a few KiB; anything much larger is not one.
constexpr std::size_t kMaxOutput = 64u << 10;

Failure failure(const std::string& message) {
  return Failure{FailureKind::service_error, 0, "", message};
}

}  // namespace

std::optional<std::vector<std::string>> split_command_line(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const auto close = command.find('\'', i + 1);
      if (close == std::string::npos) return std::nullopt;
      word += command.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= command.size()) return std::nullopt;
        if (command[i] == '"') break;
        if (command[i] == '\\' && i + 1 < command.size() &&
            std::strchr("\"\\$`", command[i + 1]) != nullptr)
          ++i;
        word += command[i];
      }
    } else if (c == '\\') {
      if (i + 1 < command.size()) word += command[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<AwsCredentials> parse_credential_process_output(const std::string& output,
                                                       const std::string& what) {
  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    object = parser.parse(output).extract<Poco::JSON::Object::Ptr>();
  } catch (...) {
    object = nullptr;
  }
  if (!object) return failure(what + ": its output is not a JSON object");
  const auto text = [&](const char* key) -> std::optional<std::string> {
    if (!object->has(key)) return std::nullopt;
    const Poco::Dynamic::Var v = object->get(key);
    if (!v.isString()) return std::nullopt;
    return v.extract<std::string>();
  };
  bool version_ok = false;
  try {
    const Poco::Dynamic::Var v = object->get("Version");
    version_ok = !v.isEmpty() && v.isNumeric() && v.convert<int>() == 1;
  } catch (...) {
  }
  if (!version_ok) return failure(what + ": its output has no \"Version\": 1");
  AwsCredentials c;
  for (auto [key, out] : {std::pair<const char*, std::string*>{"AccessKeyId", &c.access_key_id},
                          {"SecretAccessKey", &c.secret_access_key}}) {
    const auto value = text(key);
    if (!value || value->empty()) return failure(what + ": its output has no " + key);
    *out = *value;
  }
  c.session_token = text("SessionToken").value_or("");
  if (object->has("Expiration")) {
    const auto expiration = text("Expiration");
    if (expiration) c.expiration = parse_rfc3339(*expiration);
    if (!c.expiration) return failure(what + ": its Expiration is not an ISO-8601 time");
  }
  return c;
}

Result<AwsCredentials> run_credential_process(const std::string& command, const std::string& what,
                                              steady_clock::time_point deadline) {
  const auto words = split_command_line(command);
  if (!words) return failure(what + ": the command has an unclosed quote");
  if (words->empty()) return failure(what + ": the command is empty");
  // Only the program is ever named in a message: its arguments may hold a secret.
  const std::string program = words->front();
  ProgramRun run;
  run.argv = *words;
  run.max_output = kMaxOutput;
  const auto ran = run_program(run, deadline);
  if (!ran) {
    Failure f = ran.failure();
    f.message = f.kind == FailureKind::timeout
                    ? what + ": " + program + " did not finish within request_timeout; killed"
                    : what + ": " + f.message;
    return f;
  }
  const ProgramExit& exit = ran.value();
  if (exit.signal != 0)
    return failure(what + ": " + program + " was killed by signal " + std::to_string(exit.signal));
  if (exit.exit_status != 0)
    return failure(what + ": " + program + " exited with status " +
                   std::to_string(exit.exit_status) +
                   " (its error output is not logged: it may hold secrets; run it by hand)");
  if (exit.output_too_large) return failure(what + ": its output is larger than 64 KiB");
  return parse_credential_process_output(exit.output, what);
}

}  // namespace nw
