#include "nw/io/quarantine_state.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <Poco/JSON/Parser.h>

#include "nw/core/audit_digest.h"
#include "nw/core/audit_record.h"
#include "nw/core/fingerprint.h"
#include "nw/core/rfc3339.h"

namespace nw {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

std::string quarantine_state_json(const QuarantineList& list) {
  std::string out = "{\"version\": 1, \"quarantine\": [";
  bool first = true;
  for (const QuarantineEntry& e : list.entries()) {
    out += first ? "\n  {" : ",\n  {";
    first = false;
    const auto text = [&out](const char* key, std::string_view value, bool comma = true) {
      out += '"';
      out += key;
      out += "\": ";
      append_json_string(out, value);
      if (comma) out += ", ";
    };
    text("rule", e.rule);
    text("fingerprint", fingerprint_hex(e.fingerprint));
    text("fingerprint_text", e.fingerprint_text);
    text("since", format_rfc3339_ms(e.since));
    text("last_cancel", format_rfc3339_ms(e.last_cancel));
    text("until", format_rfc3339_ms(e.until));
    text("endpoint", e.endpoint);
    out += "\"cancels\": " + std::to_string(e.cancels) + "}";
  }
  out += first ? "]}\n" : "\n]}\n";
  return out;
}

QuarantineLoad load_quarantine_state(const std::string& path,
                                     std::chrono::system_clock::time_point now) {
  QuarantineLoad result;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno != ENOENT) result.problem = path + ": cannot be read (" + errno_text() + ")";
    return result;
  }
  std::ostringstream body;
  body << in.rdbuf();
  try {
    Poco::JSON::Parser parser;
    const auto root = parser.parse(body.str()).extract<Poco::JSON::Object::Ptr>();
    if (!root || root->optValue<int>("version", 0) != 1)
      throw Poco::Exception("not a version 1 quarantine state");
    const auto entries = root->getArray("quarantine");
    if (!entries) throw Poco::Exception("no \"quarantine\" list");
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const auto item = entries->getObject(static_cast<unsigned>(i));
      if (!item) throw Poco::Exception("entry " + std::to_string(i) + " is not an object");
      QuarantineEntry e;
      e.rule = item->getValue<std::string>("rule");
      const auto fingerprint = parse_fingerprint_hex(item->getValue<std::string>("fingerprint"));
      const auto since = parse_rfc3339(item->getValue<std::string>("since"));
      const auto last = parse_rfc3339(item->getValue<std::string>("last_cancel"));
      const auto until = parse_rfc3339(item->getValue<std::string>("until"));
      if (e.rule.empty() || !fingerprint || !since || !last || !until)
        throw Poco::Exception("entry " + std::to_string(i) +
                              " has a bad rule, fingerprint or time");
      e.fingerprint = *fingerprint;
      e.fingerprint_text = item->optValue<std::string>("fingerprint_text", "");
      e.since = *since;
      e.last_cancel = *last;
      e.until = *until;
      e.endpoint = item->optValue<std::string>("endpoint", "");
      e.cancels = item->optValue<std::uint64_t>("cancels", 0);
      if (e.until > now) result.list.restore(std::move(e));
    }
  } catch (const Poco::Exception& e) {
    result.list = QuarantineList{};
    result.problem = path + ": not a quarantine state (" + e.displayText() + ")";
  } catch (const std::exception& e) {
    result.list = QuarantineList{};
    result.problem = path + ": not a quarantine state (" + e.what() + ")";
  }
  return result;
}

std::optional<std::string> save_quarantine_state(const std::string& path,
                                                 const QuarantineList& list) {
  const std::string body = quarantine_state_json(list);
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return temporary + ": " + errno_text();
  std::size_t written = 0;
  while (written < body.size()) {
    const ssize_t n = ::write(fd, body.data() + written, body.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string error = temporary + ": " + errno_text();
      ::close(fd);
      ::unlink(temporary.c_str());
      return error;
    }
    written += static_cast<std::size_t>(n);
  }
  // Closed whatever fsync says, so that a failing disk costs no descriptor per retry.
  const bool synced = ::fsync(fd) == 0;
  const std::string sync_error = synced ? "" : errno_text();
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed) {
    const std::string error = temporary + ": " + (synced ? errno_text() : sync_error);
    ::unlink(temporary.c_str());
    return error;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string error = path + ": " + errno_text();
    ::unlink(temporary.c_str());
    return error;
  }
  // The rename itself reaches the disk with the directory.
  const auto slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return std::nullopt;
}

}  // namespace nw
