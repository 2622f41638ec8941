#include "nw/io/status_body_kind.h"

#include <cstddef>
#include <cstring>
#include <vector>

namespace nw {
namespace {

struct Frame {
  bool object = false;
  bool eval_stats = false;  // the value of a `queryEvalStats` key
  bool subqueries = false;
  bool waited = false;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

StatusBodyKind classify_status_body(std::string_view body) {
  StatusBodyKind kind;
  bool queries = false, query_id = false, code = false;
  std::vector<Frame> stack;
  std::string_view last_key;  // the key whose value comes next; empty in arrays
  const std::size_t n = body.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = body[i];
    if (c == '"') {
      // A string: to its closing quote, past escaped characters. Raw text is enough: every key
      // looked for is plain ASCII, which an escaped spelling would not compare equal to.
      // Most of a status body is query texts: memchr finds each quote, and a quote after an
      // odd run of backslashes is escaped.
      const std::size_t start = i + 1;
      std::size_t j = start;
      for (;;) {
        const void* quote = j < n ? std::memchr(body.data() + j, '"', n - j) : nullptr;
        if (!quote) {
          j = n;
          break;
        }
        j = static_cast<std::size_t>(static_cast<const char*>(quote) - body.data());
        std::size_t backslashes = 0;
        while (j - backslashes > start && body[j - backslashes - 1] == '\\') ++backslashes;
        if (backslashes % 2 == 0) break;
        ++j;
      }
      if (j >= n) break;  // truncated
      const std::string_view text = body.substr(start, j - start);
      std::size_t k = j + 1;
      while (k < n && is_space(body[k])) ++k;
      i = j;
      if (k < n && body[k] == ':' && !stack.empty() && stack.back().object) {
        Frame& frame = stack.back();
        last_key = text;
        if (stack.size() == 1) {
          queries = queries || text == "queries";
          query_id = query_id || text == "queryId";
          code = code || text == "code";
        }
        if (frame.eval_stats) {
          frame.subqueries = frame.subqueries || text == "subqueries";
          frame.waited = frame.waited || text == "waited";
        }
        i = k;
      }
    } else if (c == '{' || c == '[') {
      stack.push_back(Frame{c == '{', c == '{' && last_key == "queryEvalStats"});
      last_key = {};
    } else if (c == '}' || c == ']') {
      if (stack.empty()) break;
      const Frame frame = stack.back();
      stack.pop_back();
      if (frame.eval_stats && frame.subqueries && !frame.waited) kind.sparql = true;
      last_key = {};
    } else if (c == ',') {
      last_key = {};
    }
  }
  kind.shape = queries    ? StatusBodyShape::list
               : query_id ? StatusBodyShape::single_query
               : code     ? StatusBodyShape::error
                          : StatusBodyShape::unknown;
  return kind;
}

}  // namespace nw
