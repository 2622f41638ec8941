// Peak memory of reading one status answer: builds a status body of ENTRIES queries whose
// texts are TEXT_CHARS characters (Neptune cuts them at 1,024), with the spare capacity an
// answer of announced length has, parses it as a poll does, and prints the body size and the
// process's peak RSS (VmHWM) before and after the parse.
//
//   status_rss [ENTRIES [TEXT_CHARS [ESCAPED]]]     (defaults: 8192 1024 0)
//
// ESCAPED = 1 writes every character of the texts as a \u escape (6 bytes each), the largest
// body Neptune's cut texts can make.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "nw/io/http_exchange.h"
#include "nw/io/status_json.h"

namespace {

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

std::string status_body(long entries, long text_chars, bool escaped) {
  std::string text;
  for (long i = 0; i < text_chars; ++i) {
    const char c = static_cast<char>('a' + i % 26);
    if (escaped) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      text += escape;
    } else {
      text += c;
    }
  }
  std::string body = "{\"acceptedQueryCount\":" + std::to_string(entries) +
                     ",\"runningQueryCount\":" + std::to_string(entries) + ",\"queries\":[";
  for (long i = 0; i < entries; ++i) {
    if (i) body += ',';
    body += "{\"queryId\":\"" + std::to_string(1000000000 + i) +
            "-0000-4000-8000-000000000000\",\"queryString\":\"" + text +
            "\",\"queryEvalStats\":{\"waited\":" + std::to_string(i % 1000) +
            ",\"elapsed\":" + std::to_string(i * 7) + ",\"cancelled\":false}}";
  }
  body += "]}";
  return body;
}

}  // namespace

int main(int argc, char** argv) {
  const long entries = argc > 1 ? std::atol(argv[1]) : 8192;
  const long text_chars = argc > 2 ? std::atol(argv[2]) : 1024;
  const bool escaped = argc > 3 && std::atoi(argv[3]) != 0;
  std::string body = status_body(entries, text_chars, escaped);
  body.reserve(body.size() + nw::kAnswerPadding);
  const long before = peak_rss_kib();
  const auto parsed = nw::parse_status_answer(body, nw::Language::opencypher);
  const long after = peak_rss_kib();
  if (!parsed) {
    std::printf("parse failed: %s\n", parsed.failure().describe().c_str());
    return 1;
  }
  const double body_mib = static_cast<double>(body.size()) / (1 << 20);
  std::printf("entries %ld, text %ld chars%s: body %.1f MiB, %zu queries read\n", entries,
              text_chars, escaped ? " (escaped)" : "", body_mib, parsed.value().queries.size());
  std::printf("peak RSS: %.1f MiB with the body built, %.1f MiB after the parse (%.1fx the body)\n",
              before / 1024.0, after / 1024.0, after / 1024.0 / body_mib);
  return 0;
}
